#!/usr/bin/env python
"""Data-parallel training-step throughput of LeNet-BN: minigrad in K MPI processes against PyTorch's best single
process.

    python scripts/bench_ranks.py --ranks 2 --compare-torch        # both LeNet-BN variants, global batch 256
    python scripts/bench_ranks.py --ranks 2 --models lenet-bn --repeats 9

minigrad runs under ``mpiexec -n K python -m mpi4py`` with one BLAS thread per
process (MINIGRAD_NUM_THREADS=1): the network converted with
``SyncBatchNorm.convert_sync_batchnorm`` and wrapped in
``DistributedDataParallel``, each process training on its 256/K examples of a
fixed synthetic global batch (the recipe and data of scripts/bench.py). A step
is forward, loss, backward (with the SyncBatchNorm and gradient all-reduces)
and an SGD update; examples/second count the global batch over the slowest
process's time. PyTorch (from --torch-python, default the Python running this
script; name another environment's interpreter when PyTorch lives there) runs
scripts/bench.py's same network in one process with each of --torch-threads (e.g. 1 2: on a busy machine one thread
can beat two), and the ratio is against the best of them. The runs alternate,
one fresh launch each per repeat, so all see the same machine load; the table
gives medians over the repeats and their spread.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]  # run from a checkout without installing; bench.py beside
MODELS = ("lenet-bn-scratch", "lenet-bn")


def minigrad_worker(model, batch_size, steps, warmup, lr):
    """In every MPI process: time ``steps`` data-parallel steps; rank 0 prints the global examples/second."""
    import minigrad
    import minigrad.distributed as dist
    from minigrad import backend, nn
    from minigrad.nn.parallel import DistributedDataParallel
    from minigrad.train import init_weights, train_step
    from bench import MODELS as NETS, synthetic_batch

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if batch_size % world:
        raise ValueError(f"--batch-size {batch_size} does not split evenly over {world} processes")
    local = batch_size // world
    minigrad.manual_seed(0)
    # broadcast_buffers=False as minigrad.train.DistributedRun: SyncBatchNorm's are equal
    net = DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(init_weights(NETS[model]())),
                                  broadcast_buffers=False)
    opt = minigrad.optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    x, y = synthetic_batch(batch_size)
    X, Y = minigrad.Tensor(x[rank * local:(rank + 1) * local]), minigrad.Tensor(y[rank * local:(rank + 1) * local])
    for _ in range(warmup):
        train_step(net, X, Y, loss_fn, opt)
    dist.barrier()
    start = time.perf_counter()
    for _ in range(steps):
        loss, _ = train_step(net, X, Y, loss_fn, opt)
    backend.synchronize(loss.array)
    elapsed = minigrad.tensor([time.perf_counter() - start], dtype="float64")
    dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
    if rank == 0:
        print(json.dumps({"examples_per_sec": batch_size * steps / elapsed.item()}))


def torch_worker(model, batch_size, steps, warmup, lr, threads):
    """PyTorch in this one process, with ``threads`` threads: prints examples/second."""
    import torch
    from bench import throughput, torch_stepper
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    step = torch_stepper(model, batch_size, "cpu", lr)
    for _ in range(warmup):
        step()
    print(json.dumps({"examples_per_sec": throughput(step, batch_size, steps), "threads": torch.get_num_threads(),
                      "torch": torch.__version__}))


def run_json(cmd, env):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ranks", type=int, default=2, help="MPI processes for minigrad (default: 2)")
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS),
                   help="the networks to time (default: both)")
    p.add_argument("--batch-size", type=int, default=256, help="global batch, split over the processes (default: 256)")
    p.add_argument("--lr", type=float, default=0.1, help="SGD learning rate (default: 0.1)")
    p.add_argument("--steps", type=int, default=30, help="steps per timed repeat (default: 30)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps before the repeats (default: 5)")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats (default: 5)")
    p.add_argument("--compare-torch", action="store_true",
                   help="time PyTorch's single process too, alternating (default: off)")
    p.add_argument("--torch-threads", type=int, nargs="+", default=[2],
                   help="PyTorch's thread counts to time (default: 2)")
    p.add_argument("--torch-python", default=sys.executable, metavar="PYTHON",
                   help="the Python interpreter that has torch installed, for --compare-torch (default: the one "
                        "running this script)")
    p.add_argument("--json", default=None, help="also write the results to this file (default: none)")
    p.add_argument("--worker", choices=["minigrad", "torch"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    common = (args.batch_size, args.steps, args.warmup, args.lr)
    if args.worker == "minigrad":
        return minigrad_worker(args.models[0], *common)
    if args.worker == "torch":
        return torch_worker(args.models[0], *common, args.torch_threads[0])
    if args.ranks < 1 or args.batch_size % args.ranks:
        p.error(f"--batch-size {args.batch_size} must split evenly over --ranks {args.ranks}")
    if args.compare_torch and subprocess.run([args.torch_python, "-c", "import torch"], capture_output=True).returncode:
        p.error(f"--compare-torch: {args.torch_python} cannot import torch; install it there "
                "(pip install -e '.[parity]') or pass --torch-python with the interpreter of an environment "
                "that has it")

    mpiexec = Path(sys.executable).with_name("mpiexec")
    env = {**os.environ, "MINIGRAD_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    shared = ["--batch-size", str(args.batch_size), "--steps", str(args.steps), "--warmup", str(args.warmup),
              "--lr", str(args.lr)]
    frameworks = {f"minigrad x{args.ranks}": lambda model: [
        str(mpiexec if mpiexec.exists() else "mpiexec"), "-n", str(args.ranks), sys.executable, "-m", "mpi4py",
        __file__, "--worker", "minigrad", "--models", model, *shared]}
    torch_runs = [f"torch {n} thr" for n in args.torch_threads] if args.compare_torch else []
    for name, threads in zip(torch_runs, args.torch_threads):
        frameworks[name] = lambda model, threads=threads: [
            args.torch_python, __file__, "--worker", "torch", "--models", model, "--torch-threads", str(threads),
            *shared]
    print(f"global batch {args.batch_size}, minigrad in {args.ranks} MPI processes (1 BLAS thread each)"
          + (f", PyTorch in one process ({' or '.join(map(str, args.torch_threads))} threads, {args.torch_python})"
             if args.compare_torch else "") + f"; {args.repeats} repeats x {args.steps} steps, alternating; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    rates = {model: {name: [] for name in frameworks} for model in args.models}
    for _ in range(args.repeats):
        for model in args.models:
            for name, command in frameworks.items():
                rates[model][name].append(run_json(command(model), env)["examples_per_sec"])
    results = {}
    print(f"\n{'model':<18}{'run':<14}{'examples/s (median)':>21}{'min-max':>20}")
    for model, by_run in rates.items():
        results[model] = {name: {"median": statistics.median(r), "min": min(r), "max": max(r), "all": r}
                          for name, r in by_run.items()}
        for name, r in results[model].items():
            print(f"{model:<18}{name:<14}{r['median']:>21,.0f}{r['min']:>10,.0f}-{r['max']:<9,.0f}")
        if torch_runs:
            best = max(torch_runs, key=lambda name: results[model][name]["median"])
            ratio = results[model][f"minigrad x{args.ranks}"]["median"] / results[model][best]["median"]
            results[model]["ratio"] = ratio
            print(f"{model:<18}{'ratio':<14}{ratio:>20.2f}x  (minigrad x{args.ranks} / PyTorch's best: {best})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
