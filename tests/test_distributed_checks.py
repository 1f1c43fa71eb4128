"""Processes that disagree: every collective checks that all processes make the same call, and times out.

Real MPI jobs (``mpiexec -n K python -m mpi4py tests/test_distributed_checks.py <worker>``), as in
test_distributed.py: in each case the last rank makes another call than the others (another shape,
dtype, operation, network or layer width), every rank catches its own RuntimeError, and rank 0
prints every rank's messages as JSON, which the tests read. A missing rank (one that sleeps or has
finished) makes the ranks that wait raise after the timeout, which ends the job.
"""
import datetime
import json
import sys
import time

import numpy as np
import pytest

import cpu_bounded
from test_distributed import launch, needs_mpi

import minigrad
import minigrad.distributed as dist
from minigrad import nn

SUM = "op=ReduceOp.SUM"


def _net(odd, case):
    """The network each rank wraps in DistributedDataParallel: the last rank's differs."""
    if case == "ddp_shapes":  # equal element counts, other shapes
        return nn.Sequential(nn.Linear(4, 6) if odd else nn.Linear(6, 4), nn.ReLU())
    if case == "ddp_dtypes":
        return nn.Linear(3, 2).double() if odd else nn.Linear(3, 2)
    net = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))  # "ddp_missing_layer": one layer fewer
    return net[:1] if odd else net


# case -> what each rank does: (rank, odd) -> None; every case makes exactly one collective call
CASES = {
    "shape": lambda rank, odd: dist.all_reduce(minigrad.zeros(4 if odd else 3)),
    "dtype": lambda rank, odd: dist.all_reduce(minigrad.zeros(6, dtype="float64" if odd else "float32")),
    "same_count": lambda rank, odd: dist.all_reduce(minigrad.zeros((3, 2) if odd else (2, 3))),
    "operation": lambda rank, odd: (dist.broadcast(minigrad.zeros(2), 0) if odd
                                    else dist.all_reduce(minigrad.zeros(2))),
    "reduce_op": lambda rank, odd: dist.all_reduce(minigrad.zeros(2),
                                                   dist.ReduceOp.MAX if odd else dist.ReduceOp.SUM),
    "src": lambda rank, odd: dist.broadcast(minigrad.zeros(2), src=1 if odd else 0),
    "gather_vs_barrier": lambda rank, odd: (dist.barrier() if odd else
                                            dist.all_gather([minigrad.zeros(2) for _ in range(
                                                dist.get_world_size())], minigrad.zeros(2))),
    "autograd": lambda rank, odd: dist.AllReduceSum()(minigrad.zeros(5 if odd else 2, requires_grad=True)),
    "ddp_shapes": lambda rank, odd: nn.parallel.DistributedDataParallel(_net(odd, "ddp_shapes")),
    "ddp_dtypes": lambda rank, odd: nn.parallel.DistributedDataParallel(_net(odd, "ddp_dtypes")),
    "ddp_missing_layer": lambda rank, odd: nn.parallel.DistributedDataParallel(_net(odd, "ddp_missing_layer")),
    "syncbn_widths": lambda rank, odd: nn.SyncBatchNorm(4 if odd else 6)(minigrad.ones(2, 4 if odd else 6)),
}


def worker_disagree():
    """Each case in every rank (the last rank differs); then a collective that agrees still works."""
    from mpi4py import MPI
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    messages = {}
    for case, call in CASES.items():
        try:
            call(rank, rank == world - 1)
            messages[case] = None
        except RuntimeError as exc:
            messages[case] = str(exc)
    t = minigrad.tensor([rank + 1.0, 1.0])
    dist.all_reduce(t)
    messages["after"] = t.tolist()
    big = np.arange(3000.0) * (rank + 1)  # 24 kB: through MPI's collectives, not with the fingerprints
    gathered = dist.all_gather_array(big)
    messages["big"] = [float(np.abs(gathered - np.arange(3000.0) * np.arange(1, world + 1)[:, None]).max()),
                       float(np.abs(dist.all_reduce_array(big.copy(), dist.ReduceOp.MAX) - big * world / (rank + 1)
                                    ).max()),
                       float(np.abs(dist.broadcast_array(big, src=world - 1) - np.arange(3000.0) * world).max())]
    everyone = MPI.COMM_WORLD.gather(messages, root=0)
    if rank == 0:
        print(json.dumps(everyone))


def worker_missing(kind):
    """``sleeps``: the last rank sleeps while the others wait in an all_reduce (timeout 3 s from the
    environment); they catch the error, try a barrier (refused: the group failed), and rank 0 prints all
    their messages and re-raises, which ends the job.
    ``finished``: every rank but 0 has finished; rank 0's barrier (timeout 2 s from init_process_group)
    raises, uncaught."""
    from mpi4py import MPI
    world = MPI.COMM_WORLD
    if kind == "finished":
        dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=2))
        dist.all_reduce(minigrad.zeros(1))  # all ranks arrive here: call #1
        if dist.get_rank() == 0:
            dist.barrier()
        return
    dist.init_process_group("mpi")
    rank, last = dist.get_rank(), dist.get_world_size() - 1
    if rank == last:
        time.sleep(2 * cpu_bounded.HANG_SECONDS)  # beyond launch's hang guard: the job must end before
    try:
        dist.all_reduce(minigrad.zeros(2))
    except RuntimeError as exc:
        try:
            dist.barrier()
        except RuntimeError as again:  # the group is unusable now
            messages = [str(exc), str(again)]
        if rank > 0:
            world.send(messages, dest=0)
            world.recv(source=0)  # never comes: rank 0's uncaught error ends the job
        print(json.dumps([messages] + [world.recv(source=r) for r in range(1, last)]), flush=True)
        raise


# ---------------------------------------------------------------------------
# Tests

def _side(ranks, call, number):
    return f"{ranks} called {call} as call #{number}"


@needs_mpi
@cpu_bounded.hang_guard
@pytest.mark.parametrize("n", [2, 3])
def test_processes_that_disagree_raise_in_every_rank(n):
    proc = launch(n, "disagree", script=__file__)
    everyone = json.loads(proc.stdout.strip().splitlines()[-1])
    same, odd = ("rank 0", "rank 1") if n == 2 else ("ranks 0 and 1", "rank 2")
    calls = {  # the ranks' calls as the message describes them (the cases make call #1, #2, ...)
        "shape": (f"all_reduce(float32, shape (3,), {SUM})", f"all_reduce(float32, shape (4,), {SUM})"),
        "dtype": (f"all_reduce(float32, shape (6,), {SUM})", f"all_reduce(float64, shape (6,), {SUM})"),
        "same_count": (f"all_reduce(float32, shape (2, 3), {SUM})", f"all_reduce(float32, shape (3, 2), {SUM})"),
        "operation": (f"all_reduce(float32, shape (2,), {SUM})", "broadcast(float32, shape (2,), src=0)"),
        "reduce_op": (f"all_reduce(float32, shape (2,), {SUM})", "all_reduce(float32, shape (2,), op=ReduceOp.MAX)"),
        "src": ("broadcast(float32, shape (2,), src=0)", "broadcast(float32, shape (2,), src=1)"),
        "gather_vs_barrier": ("all_gather(float32, shape (2,))", "barrier()"),
        "autograd": (f"all_reduce(float32, shape (2,), {SUM}) for AllReduceSum",
                     f"all_reduce(float32, shape (5,), {SUM}) for AllReduceSum"),
        "syncbn_widths": ("all_gather(float64, shape (6, 3)) for SyncBatchNorm's statistics of 6 channels",
                          "all_gather(float64, shape (4, 3)) for SyncBatchNorm's statistics of 4 channels"),
    }
    networks = {  # DistributedDataParallel's message: the first entry that differs
        "ddp_shapes": (0, "parameter '0.weight' of shape (4, 6), float32, requires_grad",
                       "parameter '0.weight' of shape (6, 4), float32, requires_grad"),
        "ddp_dtypes": (0, "parameter 'weight' of shape (2, 3), float32, requires_grad",
                       "parameter 'weight' of shape (2, 3), float64, requires_grad"),
        "ddp_missing_layer": (2, "parameter '1.weight' of shape (3,), float32, requires_grad",
                              "nothing (its network has 2 parameters and buffers)"),
    }
    assert len(everyone) == n
    for rank, messages in enumerate(everyone):
        assert set(messages) == set(CASES) | {"after", "big"}
        for number, case in enumerate(CASES, start=1):
            message = messages[case]
            assert message is not None, f"rank {rank}, {case}: no error"
            assert message.endswith(f"this is rank {rank})"), (rank, case, message)
            if case in calls:
                mine, theirs = calls[case]
                assert message.startswith("processes disagree on a collective: " + _side(same, mine, number)
                                          + " while " + _side(odd, theirs, number) + ". Every process must"), \
                    (rank, case, message)
                assert "No data was exchanged" in message
            else:
                entry, mine, theirs = networks[case]
                assert message.startswith(f"DistributedDataParallel: the processes wrap different networks: at "
                                          f"parameter or buffer #{entry}, in {same}: {mine}; in {odd}: {theirs}. "
                                          "Build the same network in every process"), (rank, case, message)
        assert messages["after"] == [n * (n + 1) / 2, n]  # the group still works after the refusals
        assert messages["big"] == [0.0, 0.0, 0.0]


@needs_mpi
@cpu_bounded.hang_guard
def test_ranks_that_wait_for_a_sleeping_rank_raise_after_the_timeout_and_end_the_job():
    # three ranks, the last one asleep: ranks 0 and 1 each raise after 3 s, naming rank 2
    proc = launch(3, "missing", "sleeps", script=__file__, check=False, env={"MINIGRAD_COLLECTIVE_TIMEOUT": "3"})
    assert proc.returncode != 0  # ended by rank 0's uncaught error long before rank 2 wakes up (two hours; launch
    # raises TimeoutExpired after one)
    messages = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(messages) == 2
    for rank, (message, again) in enumerate(messages):
        assert again.startswith("barrier: the process group failed earlier and cannot run collectives any more "
                                f"(rank {rank} timed out in all_reduce(float32, shape (2,), op=ReduceOp.SUM) as "
                                "call #1); end the job"), again
        assert message.startswith("all_reduce(float32, shape (2,), op=ReduceOp.SUM) as call #1 waited 3 s, the "
                                  "collective timeout, for rank 2, which did not reach it"), message
        assert "MINIGRAD_COLLECTIVE_TIMEOUT" in message and message.endswith(f"this is rank {rank})")
    assert "waited 3 s" in proc.stderr and "Traceback" in proc.stderr


@needs_mpi
@cpu_bounded.hang_guard
@pytest.mark.parametrize("n, missing", [(2, "rank 1, which did not reach it: it stopped"),
                                        (3, "ranks 1 and 2, which did not reach it: they stopped")])
def test_a_rank_left_alone_in_a_collective_raises_after_the_timeout(n, missing):
    # the other ranks have finished; rank 0's barrier raises after the 2 s of init_process_group(timeout=...)
    proc = launch(n, "missing", "finished", script=__file__, check=False)
    assert proc.returncode != 0
    assert (f"RuntimeError: barrier() as call #2 waited 2 s, the collective timeout, for {missing}, finished "
            "early") in proc.stderr, proc.stderr


# -- single process: no MPI launch ---------------------------------------------

def test_the_timeout_comes_from_the_argument_the_environment_or_the_default(monkeypatch):
    monkeypatch.delenv("MINIGRAD_COLLECTIVE_TIMEOUT", raising=False)
    assert dist._timeout_seconds(None) == 600.0
    monkeypatch.setenv("MINIGRAD_COLLECTIVE_TIMEOUT", "2.5")
    assert dist._timeout_seconds(None) == 2.5
    assert dist._timeout_seconds(datetime.timedelta(minutes=1)) == 60.0  # the argument wins
    monkeypatch.setenv("MINIGRAD_COLLECTIVE_TIMEOUT", "inf")
    assert dist._timeout_seconds(None) == float("inf")


@pytest.mark.parametrize("timeout, env, error, match", [
    (30, None, TypeError, r"timeout must be a datetime.timedelta, as in PyTorch, got int 30"),
    (datetime.timedelta(seconds=-1), None, ValueError, r"timeout=datetime.timedelta\(days=-1, seconds=86399\): "
                                                       "the collective timeout must be a positive number"),
    (None, "ten", ValueError, "MINIGRAD_COLLECTIVE_TIMEOUT='ten': the collective timeout must be a positive"),
    (None, "0", ValueError, "MINIGRAD_COLLECTIVE_TIMEOUT='0'"),
])
def test_a_bad_timeout_is_refused_before_mpi_starts(monkeypatch, timeout, env, error, match):
    if env is None:
        monkeypatch.delenv("MINIGRAD_COLLECTIVE_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("MINIGRAD_COLLECTIVE_TIMEOUT", env)
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # reaching MPI would be another error
    with pytest.raises(error, match=match):
        dist.init_process_group("mpi", timeout=timeout)
    assert not dist.is_initialized()


WORKERS = {"disagree": worker_disagree, "missing": worker_missing}

if __name__ == "__main__":
    WORKERS[sys.argv[1]](*sys.argv[2:])
