"""Data parallelism: minigrad.distributed, SyncBatchNorm, DistributedDataParallel, DistributedSampler.

The multi-process tests launch real MPI jobs (``mpiexec -n K python -m mpi4py
tests/test_distributed.py <worker>``): each worker below runs in every rank,
compares against a single-process reference computed in the same process, and
rank 0 prints the measured differences as JSON, which the test asserts. Several
checks share one launch to keep the suite fast.
"""
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import cpu_bounded  # noqa: E402
import minigrad  # noqa: E402
import minigrad.distributed as dist  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.data import DataLoader, DistributedSampler  # noqa: E402
from real_data import MISSING, REAL_DATA  # noqa: E402

needs_mpi = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                               reason="mpi4py is not installed (pip install -e '.[mpi]')")


# A launched job is bounded by the CPU time each of its processes uses (tests/cpu_bounded.py: mpiexec's processes
# inherit the limit), and the wall clock only guards against a hang (cpu_bounded.HANG_SECONDS, an hour, and
# cpu_bounded.hang_guard for its test). Its collectives wait longer than that guard (MINIGRAD_COLLECTIVE_TIMEOUT), so a
# job that would end only by a collective's timeout fails at the guard; no test asserts a job's duration: no outcome
# depends on the load.
CPU_SECONDS = 600


def launch(n, *args, check=True, script=None, env=None):
    """Run ``script`` (default: this file as a worker) in ``n`` MPI processes; the finished process."""
    mpiexec = Path(sys.executable).with_name("mpiexec")
    mpiexec = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec")
    assert mpiexec, "mpi4py is installed but no mpiexec was found (pip install -e '.[mpi]' brings mpich's)"
    env = {**os.environ, "MINIGRAD_NUM_THREADS": "1", "MINIGRAD_COLLECTIVE_TIMEOUT": str(2 * cpu_bounded.HANG_SECONDS),
           "PYTHONPATH": str(ROOT), **(env or {})}
    cmd = [mpiexec, "-n", str(n), sys.executable, "-m", "mpi4py", str(script or __file__), *map(str, args)]
    proc = cpu_bounded.run(cmd, CPU_SECONDS, capture_output=True, text=True, env=env, cwd=ROOT)
    if check:
        assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def worker_result(*args, n=2):
    proc = launch(n, *args)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# Workers (run in every MPI process)

def _max_over_ranks(value):
    a = np.array([float(value)])
    dist.all_reduce_array(a, dist.ReduceOp.MAX)
    return float(a[0])


# style: (the single-process layer or network, the input's shape after N, its dtype); each converted by
# convert_sync_batchnorm. "nested" holds BatchNorms inside Sequentials, after a Linear.
BN_STYLES = {
    "2d": (lambda: nn.BatchNorm2d(3), (3, 4, 2), np.float64),
    "1d": (lambda: nn.BatchNorm1d(3), (3,), np.float64),
    "1d_NCL": (lambda: nn.BatchNorm1d(3), (3, 5), np.float64),
    "chapter4": (lambda: nn.BatchNorm(3, num_dims=4), (3, 4, 2), np.float64),
    "chapter2": (lambda: nn.BatchNorm(3, num_dims=2), (3,), np.float64),
    "no_bias": (lambda: nn.BatchNorm2d(3, bias=False), (3, 4, 2), np.float64),
    "affine_false": (lambda: nn.BatchNorm2d(3, affine=False), (3, 2, 2), np.float64),
    "no_running_stats": (lambda: nn.BatchNorm1d(3, track_running_stats=False), (3, 2), np.float64),
    "cumulative_momentum_none": (lambda: nn.BatchNorm2d(3, momentum=None), (3, 2, 2), np.float64),
    "eps_momentum": (lambda: nn.BatchNorm1d(3, eps=0.5, momentum=0.3), (3,), np.float64),
    "nested": (lambda: nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Sequential(nn.BatchNorm(3, 2))),
               (3,), np.float64),
    "2d_float32": (lambda: nn.BatchNorm2d(3), (3, 4, 2), np.float32),
}


def _bn_pair(style, rng, device):
    """A single-process BatchNorm (or network) and its SyncBatchNorm conversion with equal random parameters
    and running statistics, both in the style's dtype."""
    make, _, dtype = BN_STYLES[style]
    ref, other = make().to(dtype=dtype), make().to(dtype=dtype)
    for t in list(ref.parameters()) + [b for b in ref.buffers() if b.dtype.kind == "f"]:
        t.array[...] = rng.uniform(0.5, 1.5, t.shape)
    other.load_state_dict(ref.state_dict())
    return ref.to(device), nn.SyncBatchNorm.convert_sync_batchnorm(other).to(device)


def worker_syncbn(sizes, device="cpu"):
    """SyncBatchNorm with per-rank batch sizes ``sizes`` against BatchNorm on the concatenated batch (the
    largest difference, relative to the largest reference value for float32), three steps, then eval mode."""
    dist.init_process_group("mpi")
    T = lambda a, **kw: minigrad.Tensor(a, device=device, **kw)  # noqa: E731
    rank, world = dist.get_rank(), dist.get_world_size()
    sizes = [int(s) for s in sizes.split(",")]
    assert len(sizes) == world
    lo, hi = sum(sizes[:rank]), sum(sizes[:rank + 1])

    def diff(a, b):
        b = np.asarray(b, np.float64)
        scale = 1.0 if b.dtype == np.float64 and a.dtype == np.float64 else max(np.abs(b).max(initial=0), 1.0)
        return float(np.abs(np.asarray(a, np.float64) - b).max(initial=0)) / scale

    errors = {}
    for style, (_, tail, dtype) in BN_STYLES.items():
        rng = np.random.default_rng(0)  # the same data in every rank
        ref, sync = _bn_pair(style, rng, device)
        worst = {"output": 0.0, "input_grad": 0.0, "param_grad": 0.0, "running_stats": 0.0, "eval_output": 0.0}
        for _ in range(3):  # three steps: the running statistics are updated three times
            x = rng.normal(2.0, 3.0, (sum(sizes),) + tail).astype(dtype)
            g = rng.normal(size=x.shape).astype(dtype)
            X = T(x, requires_grad=True)
            Xr = T(x[lo:hi].copy(), requires_grad=True)
            ref.zero_grad()
            sync.zero_grad()
            y = ref(X)
            (y * T(g)).sum().backward()
            yr = sync(Xr)
            (yr * T(g[lo:hi])).sum().backward()
            worst["output"] = max(worst["output"], diff(yr.numpy(), y.numpy()[lo:hi]))
            worst["input_grad"] = max(worst["input_grad"], diff(Xr.grad.numpy(), X.grad.numpy()[lo:hi]))
            for p, q in zip(ref.parameters(), sync.parameters()):
                total = q.grad.numpy().copy()
                dist.all_reduce_array(total)  # each rank holds its share of the parameter gradient
                worst["param_grad"] = max(worst["param_grad"], diff(total, p.grad.numpy()))
            for a, b in zip(ref.buffers(), sync.buffers()):  # num_batches_tracked too
                worst["running_stats"] = max(worst["running_stats"], diff(b.numpy(), a.numpy()))
        ref.eval(), sync.eval()  # the running statistics, or without them (as PyTorch) the local batch's
        expected = ref(T(x[lo:hi])) if style == "no_running_stats" else ref(X)[lo:hi]
        worst["eval_output"] = diff(sync(T(x[lo:hi])).numpy(), expected.numpy())
        errors[style] = {k: _max_over_ranks(v) for k, v in worst.items()}
        errors[style]["same_state_dict_keys"] = list(sync.state_dict()) == list(ref.state_dict())
    if rank == 0:
        print(json.dumps(errors))


def worker_syncbn_higher(sizes):
    """SyncBatchNorm's second and third derivatives (create_graph) against BatchNorm on the concatenated batch,
    float64, random upstream vectors: s = <v, dL/dx> + <w, dL/dgamma> + <w', dL/dbeta> with L = <u, y>, then
    t = <v2, ds/dx>. Each rank differentiates its share of s (its rows of dL/dx, its share of dL/dgamma and
    dL/dbeta), so that s is the sum of the shares; every rank must build the same graph (the collectives in
    the same order)."""
    from minigrad.autograd import grad
    dist.init_process_group("mpi")
    rank = dist.get_rank()
    sizes = [int(s) for s in sizes.split(",")]
    lo, hi = sum(sizes[:rank]), sum(sizes[:rank + 1])
    rng = np.random.default_rng(0)  # the same draws in every rank
    shape = (sum(sizes), 3, 2, 2)
    x, u, v, v2 = (rng.normal(size=shape) for _ in range(4))
    w, w_beta = rng.normal(size=3), rng.normal(size=3)
    T = minigrad.tensor

    def derivatives(bn, rows):
        X = T(x[rows], requires_grad=True)
        params = [bn.weight, bn.bias]
        gx, gg, gb = grad((bn(X) * T(u[rows])).sum(), [X] + params, create_graph=True)
        s = (gx * T(v[rows])).sum() + (gg * T(w)).sum() + (gb * T(w_beta)).sum()
        sx, sg = grad(s, [X, bn.weight], create_graph=True)
        tx, = grad((sx * T(v2[rows])).sum(), X)
        return [a.detach().numpy() for a in (gx, gg, sx, sg, tx)]

    ref, sync = _bn_pair("2d", rng, "cpu")
    expected = derivatives(ref, slice(None))
    got = derivatives(sync, slice(lo, hi))
    worst = {}
    for name, a, b, local in zip(("dx", "dgamma", "d2x", "d2gamma", "d3x"), got, expected,
                                 (True, False, True, False, True)):
        if not local:
            dist.all_reduce_array(a)  # the shares summed
        worst[name] = _max_over_ranks(np.abs(a - (b[lo:hi] if local else b)).max(initial=0))
    if rank == 0:
        print(json.dumps(worst))


def worker_collectives(backend="mpi", device="cpu"):
    """The torch.distributed-shaped API, and its errors."""
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    out = {"rank": rank, "world": world}
    T = lambda values: minigrad.tensor(values, device=device)  # noqa: E731
    t = T([1.0, float(rank), -float(rank)])
    dist.all_reduce(t)
    out["sum"] = t.tolist()
    t = T([float(rank), 2.0])
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    out["avg"] = t.tolist()
    t = T([float(rank), -float(rank)])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    out["max"] = t.tolist()
    t = minigrad.Tensor(np.arange(6, dtype=np.int64).reshape(2, 3).T * (rank + 1), device=device)  # not contiguous
    dist.all_reduce(t)
    out["int_sum_transposed"] = t.tolist()
    t = T([float(rank) * 10, 7.0])
    version = t._version
    dist.broadcast(t, src=world - 1)
    out["broadcast"], out["broadcast_bumps_version"] = t.tolist(), t._version > version
    gathered = [minigrad.zeros(2, device=device) for _ in range(world)]
    dist.all_gather(gathered, T([float(rank), float(rank) ** 2]))
    out["all_gather"] = [g.tolist() for g in gathered]
    dist.barrier()
    errors = {}
    for name, call in {"avg_of_ints": lambda: dist.all_reduce(minigrad.tensor([1]), op=dist.ReduceOp.AVG),
                       "bad_src": lambda: dist.broadcast(minigrad.zeros(1), src=world),
                       "long_list": lambda: dist.all_gather([minigrad.zeros(2)] * (world + 1), minigrad.zeros(2)),
                       "init_twice": lambda: dist.init_process_group("mpi"),
                       "async_op": lambda: dist.all_reduce(minigrad.zeros(1), async_op=True)}.items():
        try:
            call()
            errors[name] = None
        except (TypeError, ValueError, RuntimeError) as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
    out["errors"] = errors
    dist.destroy_process_group()
    out["initialized_after_destroy"] = dist.is_initialized()
    from mpi4py import MPI
    results = MPI.COMM_WORLD.gather(out, root=0)
    if rank == 0:
        print(json.dumps(results))


def _lenet_pair(model, rank):
    """(reference LeNet-BN built with seed 0, a data-parallel one built with seed ``rank``, its optimiser)."""
    from minigrad.nn.parallel import DistributedDataParallel
    from minigrad.train import init_weights
    from models import MODELS
    minigrad.manual_seed(0)
    ref = init_weights(MODELS[model]())
    minigrad.manual_seed(rank)  # different weights in rank 1: the construction must broadcast rank 0's
    ddp = DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(init_weights(MODELS[model]())))
    return ref, ddp


def _rel_diff(a_tensors, b_tensors):
    """max |a - b| / max |a| over all the tensors together (the biases before a BatchNorm have gradients
    at rounding level, so a per-tensor ratio would measure rounding noise)."""
    a = np.concatenate([t.numpy().ravel() for t in a_tensors])
    b = np.concatenate([t.numpy().ravel() for t in b_tensors])
    return float(np.abs(a - b).max() / np.abs(a).max())


def worker_ddp():
    """Three SGD steps of LeNet-BN on 2 ranks x 128 against one process x 256 (float32); no_sync; unused params."""
    from minigrad.nn.parallel import DistributedDataParallel
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    batches = [(rng.random((256, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 256)) for _ in range(5)]
    local = 256 // world
    part = lambda a: a[rank * local:(rank + 1) * local]  # noqa: E731
    out = {}
    for model in ("lenet-bn-scratch", "lenet-bn"):
        ref, ddp = _lenet_pair(model, rank)
        opt_ref = minigrad.optim.SGD(ref.parameters(), lr=0.5)
        opt = minigrad.optim.SGD(ddp.parameters(), lr=0.5)
        loss_diff = 0.0
        for x, y in batches[:3]:
            for net, o, xs, ys in ((ref, opt_ref, x, y), (ddp, opt, part(x), part(y))):
                o.zero_grad()
                loss = loss_fn(net(minigrad.Tensor(xs)), minigrad.Tensor(ys))
                loss.backward()
                o.step()
                if net is ref:
                    ref_loss = loss.item()
                else:
                    mean_loss = np.array([loss.item()])
                    dist.all_reduce_array(mean_loss, dist.ReduceOp.AVG)
                    loss_diff = max(loss_diff, abs(mean_loss[0] - ref_loss) / ref_loss)
        res = {"loss_rel": loss_diff,
               "param_rel": _rel_diff(list(ref.parameters()), list(ddp.module.parameters())),
               "buffer_rel": _rel_diff([b for b in ref.buffers() if b.dtype.kind == "f"],
                                       [b for b in ddp.module.buffers() if b.dtype.kind == "f"]),
               "state_dict_keys": list(ddp.state_dict())[:2]}
        # gradient accumulation: no_sync's backward stays local, the next one averages the sum
        ref.zero_grad()
        opt.zero_grad()
        for x, y in batches[3:]:
            loss_fn(ref(minigrad.Tensor(x)), minigrad.Tensor(y)).backward()
        with ddp.no_sync():
            loss_fn(ddp(minigrad.Tensor(part(batches[3][0]))), minigrad.Tensor(part(batches[3][1]))).backward()
        first = ddp.module[0].weight.grad.numpy().copy()
        both = np.stack(dist.all_gather_array(first))
        res["no_sync_grads_differ_between_ranks"] = bool(np.abs(both[0] - both[1]).max() > 1e-6)
        loss_fn(ddp(minigrad.Tensor(part(batches[4][0]))), minigrad.Tensor(part(batches[4][1]))).backward()
        res["accumulated_grad_rel"] = _rel_diff([p.grad for p in ref.parameters()],
                                                [p.grad for p in ddp.module.parameters()])
        out[model] = {k: (_max_over_ranks(v) if isinstance(v, float) else v) for k, v in res.items()}
    # a parameter without a gradient is reported at the next forward
    class WithSpare(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.spare = nn.Linear(4, 2), nn.Linear(4, 2)

        def forward(self, x):
            return self.used(x)

    net = DistributedDataParallel(WithSpare(), bucket_cap_mb=1e-4)  # tiny buckets: one per parameter
    try:
        net(minigrad.ones(2, 4)).sum().backward()  # the end of this backward reports it
        out["unused_error"] = None
    except RuntimeError as exc:
        out["unused_error"] = str(exc)
    if rank == 0:
        print(json.dumps(out))


def _mlp(seed):
    minigrad.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)).double()


class _Mixed(nn.Module):
    """Parameters of two dtypes: float64, float32, float64 (three buckets)."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(3, 3).double(), nn.Linear(3, 3), nn.Linear(3, 2).double()

    def forward(self, x):
        return self.c(self.b(self.a(x).float()).double())


def worker_edges():
    """DistributedDataParallel against one process in float64 (tiny buckets, unequal batches, SGD with momentum
    and Adam, no_sync, eval, mixed dtypes), SyncBatchNorm's edge cases and the collectives' remaining ops."""
    from minigrad.nn.parallel import DistributedDataParallel
    out = {}
    try:
        dist.get_rank()
    except RuntimeError as exc:
        out["rank_before_init"] = str(exc)
    dist.init_process_group("mpi")
    dist.destroy_process_group()
    dist.init_process_group("mpi")  # again, after a destroy
    rank, world = dist.get_rank(), dist.get_world_size()
    T = minigrad.Tensor
    rng = np.random.default_rng(0)  # the same draws in every rank
    loss_fn = nn.CrossEntropyLoss()

    def worst(pairs):
        return _max_over_ranks(max(float(np.abs(a.numpy() - b.numpy()).max()) for a, b in pairs))

    # construction broadcasts rank 0's parameters and buffers; tiny buckets: one per parameter
    net = _mlp(rank)
    with minigrad.no_grad():
        net[1].running_mean.fill_(rank + 3.0)
    ddp = DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(net), bucket_cap_mb=1e-4)
    ref = _mlp(0)
    out["broadcast_params"] = worst(zip(ref.parameters(), net.parameters()))
    out["broadcast_buffer"] = _max_over_ranks(np.abs(net[1].running_mean.numpy() - 3.0).max())
    out["module_is_the_network"] = ddp.module is net
    out["buckets"] = len(ddp._buckets)
    with minigrad.no_grad():
        net[1].running_mean.zero_()
    ref.load_state_dict(net.state_dict())
    # unequal batches: the average over processes of each one's mean-loss gradient (PyTorch's DDP)
    sizes = [2 + 3 * r for r in range(world)]
    lo, hi = sum(sizes[:rank]), sum(sizes[:rank + 1])
    x, y = rng.normal(size=(sum(sizes), 5)), rng.integers(0, 3, sum(sizes))
    loss_fn(ddp(T(x[lo:hi])), T(y[lo:hi])).backward()
    logits = ref(T(x))
    bounds = np.cumsum([0] + sizes)
    (sum(loss_fn(logits[a:b], T(y[a:b])) for a, b in zip(bounds[:-1], bounds[1:])) / world).backward()
    out["unequal_batches"] = worst((p.grad, q.grad) for p, q in zip(ref.parameters(), net.parameters()))
    # four steps of SGD with momentum and of Adam, equal shares; eval; no_sync accumulation
    part = slice(4 * rank, 4 * rank + 4)
    for name, make in {"sgd_momentum": lambda ps: minigrad.optim.SGD(ps, lr=0.1, momentum=0.9),
                       "adam": lambda ps: minigrad.optim.Adam(ps, lr=0.01)}.items():
        ref, net = _mlp(0), _mlp(rank)
        ddp = DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(net), bucket_cap_mb=1e-4)
        opt_ref, opt = make(ref.parameters()), make(ddp.parameters())
        for _ in range(4):
            x, y = rng.normal(size=(4 * world, 5)), rng.integers(0, 3, 4 * world)
            for model, o, rows in ((ref, opt_ref, slice(None)), (ddp, opt, part)):
                o.zero_grad()
                loss_fn(model(T(x[rows])), T(y[rows])).backward()
                o.step()
        out[name] = worst(list(zip(ref.parameters(), net.parameters())) + list(zip(ref.buffers(), net.buffers())))
        ddp.eval(), ref.eval()
        x = T(rng.normal(size=(3, 5)))
        out[name + "_eval"] = worst([(ddp(x), ref(x))])
        out[name + "_eval_flags"] = [m.training for m in net.modules()]
        ddp.train(), ref.train()
        opt_ref.zero_grad(), opt.zero_grad()
        for k in range(3):
            x, y = rng.normal(size=(4 * world, 5)), rng.integers(0, 3, 4 * world)
            loss_fn(ref(T(x)), T(y)).backward()
            if k < 2:
                with ddp.no_sync():
                    loss_fn(ddp(T(x[part])), T(y[part])).backward()
            else:  # a forward under no_grad between forward and backward leaves the averaging on
                loss = loss_fn(ddp(T(x[part])), T(y[part]))
                with minigrad.no_grad():
                    ref(T(x)), ddp(T(x[part]))
                loss.backward()
        out[name + "_no_sync"] = worst((p.grad, q.grad) for p, q in zip(ref.parameters(), net.parameters()))
    minigrad.manual_seed(0)
    ref = _Mixed()
    minigrad.manual_seed(rank)
    ddp = DistributedDataParallel(_Mixed())
    out["mixed_bucket_dtypes"] = [str(b[0].dtype) for b in ddp._buckets]
    x = rng.normal(size=(2 * world, 3))
    ref(T(x)).sum().backward()
    (ddp(T(x[2 * rank:2 * rank + 2])).sum() * world).backward()
    out["mixed"] = worst((p.grad, q.grad) for p, q in zip(ref.parameters(), ddp.module.parameters()))
    loss = ddp(T(x[2 * rank:2 * rank + 2])).sum()
    loss.backward(retain_graph=True)
    try:
        loss.backward()  # its gradients could not be averaged: refused
    except RuntimeError as exc:
        out["second_backward"] = str(exc)
    # SyncBatchNorm: every batch empty (counted, statistics kept), a global batch of one (refused everywhere)
    bn = nn.SyncBatchNorm(3).double()
    bn(T(np.zeros((0, 3, 2)), requires_grad=True)).sum().backward()
    out["all_empty"] = [int(bn.num_batches_tracked.item()), bn.running_mean.tolist(), bn.running_var.tolist()]
    try:
        bn(T(np.zeros((1 if rank == world - 1 else 0, 3))))
    except ValueError as exc:
        out["global_batch_of_one"] = str(exc)
    out["after_refusal"] = int(bn.num_batches_tracked.item())
    if rank == 0:  # eval mode communicates nothing: one process alone may run it (a collective would hang)
        no_stats = nn.SyncBatchNorm(3, track_running_stats=False).double().eval()
        out["eval_alone"] = [list(bn.eval()(T(np.ones((2, 3)))).shape), list(no_stats(T(np.ones((2, 3)))).shape)]
    # collectives
    t = minigrad.tensor([2.0, rank + 1.0])
    dist.all_reduce(t, dist.ReduceOp.PRODUCT)
    out["product"] = t.tolist()
    t = minigrad.tensor([2.0, rank + 1.0])
    dist.all_reduce(t, dist.ReduceOp.MIN)
    out["min"] = t.tolist()
    t = minigrad.tensor(np.arange(6.0).reshape(2, 3) * (rank + 1))
    dist.all_reduce(t[:, 1])  # a strided view: reduced in place, the rest untouched
    out["view"] = t.tolist()
    t = minigrad.tensor(np.full((2, 2), float(rank)))
    dist.broadcast(t, src=1)
    out["broadcast_from_1"] = t.tolist()
    if rank == 0:
        print(json.dumps(out))


def worker_mismatch(kind):
    """Processes that disagree: the job must end with an error, not hang."""
    from minigrad.nn.parallel import DistributedDataParallel
    dist.init_process_group("mpi")
    rank = dist.get_rank()
    if kind == "unused_in_one_rank":  # the last step: rank 1 leaves its backward without averaging a bucket
        class Branch(nn.Module):  # the second layer only in rank 0
            def __init__(self):
                super().__init__()
                self.first, self.second = nn.Linear(2, 2), nn.Linear(2, 2)

            def forward(self, x):
                return self.second(self.first(x)) if rank == 0 else self.first(x)

        DistributedDataParallel(Branch(), bucket_cap_mb=1e-4)(minigrad.ones(1, 2)).sum().backward()
    elif kind == "shapes":
        dist.all_reduce(minigrad.zeros(3 + rank))


def worker_crash():
    """Rank 1 raises while rank 0 waits in a collective: the launcher must end the job."""
    dist.init_process_group("mpi")
    if dist.get_rank() == 1:
        raise ValueError("deliberate failure in rank 1")
    dist.all_reduce(minigrad.zeros(3))


# ---------------------------------------------------------------------------
# Tests

def check_syncbn_errors(errors):
    """worker_syncbn's differences: below 1e-10 in float64, 1e-5 relative in float32; the same state_dict keys."""
    assert set(errors) == set(BN_STYLES)
    for style, worst in errors.items():
        assert worst.pop("same_state_dict_keys"), style
        bound = 1e-5 if BN_STYLES[style][2] == np.float32 else 1e-10
        for what, value in worst.items():
            assert value < bound, f"{style} {what}: max difference {value}"


@needs_mpi
@cpu_bounded.hang_guard
@pytest.mark.parametrize("sizes", ["1,6", "4,0,3"], ids=["2 ranks, 1+6", "3 ranks, 4+0+3"])
def test_sync_batchnorm_equals_batchnorm_on_the_concatenated_batch(sizes):
    check_syncbn_errors(worker_result("syncbn", sizes, n=len(sizes.split(","))))


@needs_mpi
@cpu_bounded.hang_guard
@pytest.mark.parametrize("sizes", ["3,5", "4,0,3"], ids=["2 ranks, 3+5", "3 ranks, 4+0+3"])
def test_sync_batchnorm_higher_derivatives_equal_batchnorm_on_the_concatenated_batch(sizes):
    worst = worker_result("syncbn_higher", sizes, n=len(sizes.split(",")))
    assert set(worst) == {"dx", "dgamma", "d2x", "d2gamma", "d3x"}
    for what, value in worst.items():
        assert value < 1e-10, f"{what}: max difference {value}"


@needs_mpi
@cpu_bounded.hang_guard
def check_collectives(results, world):
    """The values worker_collectives must have found in each of ``world`` processes."""
    assert len(results) == world
    base = np.arange(6).reshape(2, 3).T
    for r, out in enumerate(results):
        assert (out["rank"], out["world"]) == (r, world)
        assert out["sum"] == [world, world * (world - 1) / 2, -world * (world - 1) / 2]
        assert out["avg"] == [(world - 1) / 2, 2.0]
        assert out["max"] == [world - 1, 0.0]
        assert out["int_sum_transposed"] == (base * (world * (world + 1) // 2)).tolist()
        assert out["broadcast"] == [10.0 * (world - 1), 7.0] and out["broadcast_bumps_version"]
        assert out["all_gather"] == [[float(q), float(q) ** 2] for q in range(world)]
        errors = out["errors"]
        assert "AVG needs a floating-point tensor" in errors["avg_of_ints"]
        assert f"src must be a rank in [0, {world - 1}], got {world}" in errors["bad_src"]
        assert f"world_size = {world} tensors, got {world + 1}" in errors["long_list"]
        assert "already initialised" in errors["init_twice"]
        assert "async_op=True is not supported" in errors["async_op"]
        assert out["initialized_after_destroy"] is False


@needs_mpi
@cpu_bounded.hang_guard
def test_collectives_on_three_ranks():
    check_collectives(worker_result("collectives", n=3), 3)


# -- GPU: CuPy tensors (one GPU cannot host two NCCL ranks, so NCCL runs in one process here) ------------

@needs_mpi
@pytest.mark.gpu
@cpu_bounded.hang_guard
def test_nccl_collectives_on_cupy_tensors():
    check_collectives(worker_result("collectives", "nccl", "cuda", n=1), 1)


@needs_mpi
@pytest.mark.gpu
@cpu_bounded.hang_guard
def test_mpi_collectives_and_sync_batchnorm_on_cupy_tensors():
    check_collectives(worker_result("collectives", "mpi", "cuda", n=2), 2)
    check_syncbn_errors(worker_result("syncbn", "3,5", "cuda", n=2))


@needs_mpi
@cpu_bounded.hang_guard
def test_data_parallel_lenet_bn_equals_one_process():
    out = worker_result("ddp", n=2)
    for model in ("lenet-bn-scratch", "lenet-bn"):
        res = out[model]
        assert res["param_rel"] < 1e-4, (model, res)
        assert res["buffer_rel"] < 1e-4, (model, res)
        assert res["loss_rel"] < 1e-5, (model, res)
        assert res["state_dict_keys"][0].startswith("module.")
        assert res["no_sync_grads_differ_between_ranks"], (model, res)
        assert res["accumulated_grad_rel"] < 1e-4, (model, res)
    assert out["unused_error"] is not None and "spare.weight" in out["unused_error"]


@needs_mpi
@cpu_bounded.hang_guard
def test_an_exception_in_one_rank_ends_the_job():
    proc = launch(2, "crash", check=False)
    assert proc.returncode != 0
    assert "deliberate failure in rank 1" in proc.stderr  # and it ended: no wait for the 600 s collective timeout


@needs_mpi
@cpu_bounded.hang_guard
@pytest.mark.parametrize("n", [2, 3])
def test_data_parallel_edges_equal_one_process(n):
    out = worker_result("edges", n=n)
    assert "init_process_group" in out["rank_before_init"]
    assert out["module_is_the_network"] and out["buckets"] == 5
    assert out["broadcast_params"] == 0.0 and out["broadcast_buffer"] == 0.0
    for name in ("unequal_batches", "sgd_momentum", "sgd_momentum_eval", "sgd_momentum_no_sync", "adam",
                 "adam_eval", "adam_no_sync"):
        assert out[name] < 1e-10, (name, out[name])
    assert not any(out["sgd_momentum_eval_flags"]) and not any(out["adam_eval_flags"])
    assert out["mixed_bucket_dtypes"] == ["float64", "float32", "float64"] and out["mixed"] < 1e-5
    assert "after this forward's gradients were averaged" in out["second_backward"]
    assert out["all_empty"] == [1, [0.0] * 3, [1.0] * 3]
    assert "expected more than 1 value per channel over all processes" in out["global_batch_of_one"]
    assert out["after_refusal"] == 1 and out["eval_alone"] == [[2, 3], [2, 3]]
    assert out["product"] == [2.0 ** n, float(np.prod(np.arange(1, n + 1)))] and out["min"] == [2.0, 1.0]
    triangle = n * (n + 1) // 2
    assert out["view"] == [[0.0, triangle * 1.0, 2.0], [3.0, triangle * 4.0, 5.0]]
    assert out["broadcast_from_1"] == [[1.0, 1.0], [1.0, 1.0]]


@needs_mpi
@cpu_bounded.hang_guard
@pytest.mark.parametrize("kind, message", [
    ("unused_in_one_rank", "produced no gradient for parameter(s) second.bias, second.weight in rank 1"),
    ("shapes", "rank 0 called all_reduce(float32, shape (3,), op=ReduceOp.SUM) as call #1 while rank 1 called "
               "all_reduce(float32, shape (4,), op=ReduceOp.SUM) as call #1")])
def test_processes_that_disagree_end_the_job(kind, message):
    proc = launch(2, "mismatch", kind, check=False)
    assert proc.returncode != 0 and message in proc.stderr + proc.stdout, proc.stderr


# -- single process: no MPI launch ---------------------------------------------

def test_without_a_process_group_the_api_says_what_to_do():
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(minigrad.zeros(1)),
                 lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2))):
        with pytest.raises(RuntimeError, match="init_process_group"):
            call()
    with pytest.raises(ValueError, match="backend must be 'mpi' or 'nccl', got 'gloo'"):
        dist.init_process_group("gloo")


def test_missing_mpi4py_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # what an environment without mpi4py gives
    with pytest.raises(RuntimeError, match=r"pip install -e '\.\[mpi\]'"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


@pytest.mark.parametrize("make_bn, make_sync, shape", [
    (lambda: nn.BatchNorm2d(3), lambda: nn.SyncBatchNorm(3), (6, 3, 4, 4)),
    (lambda: nn.BatchNorm1d(3), lambda: nn.SyncBatchNorm(3), (6, 3)),
    (lambda: nn.BatchNorm(3, num_dims=4), None, (6, 3, 4, 4))])
def test_sync_batchnorm_without_a_process_group_is_batchnorm(make_bn, make_sync, shape, rng):
    bn = make_bn()
    sync = make_sync() if make_sync else nn.SyncBatchNorm.convert_sync_batchnorm(make_bn())
    x = rng.normal(size=shape).astype(np.float32)
    for net in (bn, sync):
        net.zero_grad()
        y = net(minigrad.Tensor(x))
        (y * y).sum().backward()
    np.testing.assert_allclose(sync(minigrad.Tensor(x)).numpy(), bn(minigrad.Tensor(x)).numpy(), rtol=1e-6)
    for p, q in zip(bn.parameters(), sync.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6)
    for a, b in zip(bn.buffers(), sync.buffers()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6)


def test_convert_sync_batchnorm_keeps_parameters_buffers_and_conventions():
    from minigrad.nn import ChapterSyncBatchNorm
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm(2, num_dims=4), nn.Flatten(), nn.Linear(8, 3),
                        nn.BatchNorm1d(3, momentum=0.2, affine=False))
    net.eval()
    params = list(net.parameters())
    keys = list(net.state_dict())
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert converted is net
    assert isinstance(net[1], ChapterSyncBatchNorm) and isinstance(net[1], nn.BatchNorm)
    assert net[1].gamma.shape == (1, 2, 1, 1) and net[1].momentum == 0.9
    assert isinstance(net[4], nn.SyncBatchNorm) and net[4].momentum == 0.2 and not net[4].affine
    assert not net[1].training and not net[4].training
    assert all(a is b for a, b in zip(params, net.parameters()))
    assert list(net.state_dict()) == keys
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm2d(4))
    assert type(single) is nn.SyncBatchNorm
    with pytest.raises(ValueError, match="process_group=None"):
        nn.SyncBatchNorm(3, process_group="group")


def test_post_accumulate_grad_hook_sees_the_accumulated_gradient():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    ((w * w).sum() + w.sum()).backward()  # w reached along two paths: one hook call, after the sum
    (w * 3).sum().backward()
    assert seen == [[3.0, 5.0], [6.0, 8.0]]
    handle.remove()
    w.sum().backward()
    assert len(seen) == 2
    v = minigrad.tensor([1.0, 1.0], requires_grad=True)  # backward(inputs=...) runs the inputs' hooks too
    v.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    minigrad.autograd.backward((w * v).sum(), inputs=[v])
    assert seen[2:] == [[1.0, 2.0]]
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(print)


def test_distributed_sampler_shards():
    shards = [list(DistributedSampler(10, num_replicas=3, rank=r, seed=5)) for r in range(3)]
    order = np.random.default_rng(5).permutation(10)
    assert [len(s) for s in shards] == [4, 4, 4]
    padded = list(order) + list(order[:2])  # torch's padding: the first indices again
    assert shards == [padded[r::3] for r in range(3)]
    exact = [list(DistributedSampler(10, num_replicas=3, rank=r, drop_last=True, shuffle=False)) for r in range(3)]
    assert exact == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    # torch repeats the whole order when the padding is longer than the data set
    tiny = [list(DistributedSampler(2, num_replicas=5, rank=r, shuffle=False)) for r in range(5)]
    assert tiny == [[0], [1], [0], [1], [0]]
    assert [len(DistributedSampler(0, num_replicas=3, rank=r)) for r in range(3)] == [0, 0, 0]
    sampler = DistributedSampler(list(range(12)), num_replicas=2, rank=1)
    first = list(sampler)
    assert list(sampler) == first
    sampler.set_epoch(1)
    assert list(sampler) != first
    other = DistributedSampler(12, num_replicas=2, rank=0)
    other.set_epoch(1)
    assert sorted(list(sampler) + list(other)) == list(range(12))
    for bad, match in (({"num_replicas": 0, "rank": 0}, "num_replicas must be a positive int"),
                       ({"num_replicas": 2, "rank": 2}, r"invalid rank 2, rank should be in the interval \[0, 1\]")):
        with pytest.raises(ValueError, match=match):
            DistributedSampler(5, **bad)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(5)


def test_dataloader_with_distributed_sampler_splits_each_global_batch():
    images = np.arange(20 * 4, dtype=np.uint8).reshape(20, 2, 2)
    labels = np.arange(20)
    order = np.random.default_rng(3 + 2).permutation(20)
    loaders = []
    for r in range(2):
        sampler = DistributedSampler(20, num_replicas=2, rank=r, seed=3)
        sampler.set_epoch(2)
        loaders.append(DataLoader(images, labels, batch_size=4, sampler=sampler))
    assert len(loaders[0]) == 3
    for k, ((_, y0), (_, y1)) in enumerate(zip(*loaders)):
        assert sorted(y0.tolist() + y1.tolist()) == sorted(order[8 * k:8 * k + 8].tolist())
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(images, labels, 4, shuffle=True, sampler=DistributedSampler(20, 2, 0))


# -- the training script under mpiexec ------------------------------------------

SCRIPT = ROOT / "scripts" / "train_lenet.py"
SUBSET = ["--limit-train", "515", "--limit-test", "201", "--batch-size", "64", "--no-progress"]  # odd sizes


@needs_mpi
@cpu_bounded.hang_guard
@pytest.mark.skipif(not REAL_DATA.is_dir(), reason=MISSING)
def test_two_process_training_run_resumes_from_its_checkpoint(tmp_path):
    env = {"MINIGRAD_DATA": str(REAL_DATA)}
    first = launch(2, *SUBSET, "--epochs", "1", "--out", tmp_path / "run", script=SCRIPT, env=env)
    assert first.stdout.count("epoch 1: loss") == 1  # rank 0 alone prints
    assert "2 processes" in first.stdout
    resumed = launch(2, "--resume", tmp_path / "run" / "checkpoint.npz", "--epochs", "2", "--no-progress",
                     script=SCRIPT, env=env)
    assert "resuming" in resumed.stdout and resumed.stdout.count("epoch 2: loss") == 1
    launch(2, *SUBSET, "--epochs", "2", "--out", tmp_path / "straight", script=SCRIPT, env=env)
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs"]
    straight = json.loads((tmp_path / "straight" / "metrics.json").read_text())["epochs"]
    assert [h["epoch"] for h in history] == [1, 2]
    for key in ("train_loss", "train_acc", "test_acc"):  # the resumed epoch is the uninterrupted one
        assert history[1][key] == pytest.approx(straight[1][key], rel=1e-6), key
    assert 0 < history[1]["train_loss"] < 2.5 and history[1]["examples_per_sec"] > 0
    state = minigrad.load(tmp_path / "run" / "checkpoint.npz")["model"]
    assert not any(k.startswith("module.") for k in state)  # loads into a single-process network
    written = {p.name for p in (tmp_path / "run").iterdir()}  # curves.png too where matplotlib is installed
    assert {"checkpoint.npz", "metrics.csv", "metrics.json"} <= written <= {
        "checkpoint.npz", "metrics.csv", "metrics.json", "curves.png"}
    bad = launch(2, *SUBSET, "--batch-size", "63", "--out", tmp_path / "bad", script=SCRIPT, env=env,
                       check=False)
    assert bad.returncode != 0 and "--batch-size 63" in bad.stderr and "2 processes" in bad.stderr
    assert not (tmp_path / "bad").exists()
    # the checkpoint of a 2-process run resumes in one process (the global batch is the same)
    single = launch(1, "--resume", tmp_path / "run" / "checkpoint.npz", "--epochs", "3", "--no-progress",
                    script=SCRIPT, env=env)
    assert "resuming" in single.stdout and "data-parallel" not in single.stdout
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs"]
    assert [h["epoch"] for h in history] == [1, 2, 3] and 0 < history[2]["train_loss"] < 2.5


WORKERS = {"syncbn": worker_syncbn, "syncbn_higher": worker_syncbn_higher, "collectives": worker_collectives,
           "ddp": worker_ddp, "crash": worker_crash, "edges": worker_edges, "mismatch": worker_mismatch}

if __name__ == "__main__":
    WORKERS[sys.argv[1]](*sys.argv[2:])
