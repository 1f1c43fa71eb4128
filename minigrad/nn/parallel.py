"""Data parallelism over processes: ``DistributedDataParallel``, with PyTorch's name and meaning.

Each process holds a replica of the model and trains it on its share of every
batch; the replicas start equal (rank 0's parameters and buffers are broadcast
at construction) and stay equal because every process applies the same
averaged gradient. The averaging runs during backward: each parameter has a
post-accumulate-grad hook, the parameters are grouped (in reverse order, about
the order in which backward produces their gradients) into flat buckets of
``bucket_cap_mb`` MiB, and a bucket is all-reduced as soon as all its gradients
are there, buckets in the same order on every process. Needs an initialised
process group (``minigrad.distributed.init_process_group``).
"""
import contextlib

from minigrad import backend
from minigrad import distributed as dist
from minigrad.core import is_grad_enabled, queue_backward_callback
from minigrad.nn.modules.module import Module


def _coalesced(tensors, collective):
    """Apply ``collective`` (a function of one flat raw array, in place) to ``tensors``' arrays, concatenated."""
    arrays = [t.array for t in tensors]
    xp = backend.get_array_module(arrays[0])
    flat = xp.concatenate([a.reshape(-1) for a in arrays])
    collective(flat)
    offset = 0
    for t, a in zip(tensors, arrays):
        a[...] = flat[offset:offset + a.size].reshape(a.shape)
        offset += a.size
        t._vc[0] += 1


def _verify_same_network(module):
    """Every process must wrap the same network: the parameters' and buffers' names, shapes, dtypes and
    requires_grad flags, in order, gathered from all processes (PyTorch's
    ``_verify_param_shape_across_processes``); a RuntimeError in every process naming the first difference."""
    mine = [("parameter", n, tuple(p.shape), str(p.dtype), p.requires_grad) for n, p in module.named_parameters()]
    mine += [("buffer", n, tuple(b.shape), str(b.dtype), False) for n, b in module.named_buffers()]
    everyone = dist.gather_objects(mine, "DistributedDataParallel's check of the wrapped networks")
    if all(entries == mine for entries in everyone):
        return
    i = next(i for i in range(max(map(len, everyone))) if len({tuple(e[i:i + 1]) for e in everyone}) > 1)
    holders = {}
    for r, entries in enumerate(everyone):
        if i < len(entries):
            kind, name, shape, dtype, grad = entries[i]
            found = f"{kind} '{name}' of shape {shape}, {dtype}{', requires_grad' if grad else ''}"
        else:
            found = f"nothing (its network has {len(entries)} parameters and buffers)"
        holders.setdefault(found, []).append(r)
    sides = "; ".join(f"in {dist.describe_ranks(ranks)}: {found}" for found, ranks in holders.items())
    raise RuntimeError(
        f"DistributedDataParallel: the processes wrap different networks: at parameter or buffer #{i}, {sides}. "
        "Build the same network in every process (the same layers, sizes, dtypes and frozen parameters, in the "
        f"same order) before wrapping it (raised in every process; this is rank {dist.get_rank()})")


def _by_kind(tensors):
    """``tensors`` grouped by (dtype, device), each group in the given order."""
    groups = {}
    for t in tensors:
        groups.setdefault((t.dtype, str(t.device)), []).append(t)
    return list(groups.values())


class DistributedDataParallel(Module):
    """``DistributedDataParallel(module, broadcast_buffers=True, bucket_cap_mb=25)``, PyTorch's arguments.

    ``forward`` calls ``module``; the backward of its output leaves in every
    process the gradient averaged over the processes (each process's loss is
    the mean over its own examples, so with equal shares this is the gradient
    of the mean over the global batch). With ``broadcast_buffers``, rank 0's
    buffers are copied to all processes before each training-mode forward.
    Every parameter that requires grad must get a gradient in each synchronised
    backward: one that gets none in some process is a RuntimeError, naming it,
    at the end of that process's backward (with ``python -m mpi4py`` the whole
    job then ends instead of waiting in the bucket's all-reduce). A gradient that
    reaches a parameter after the round was averaged (a second backward through
    one forward's output) is a RuntimeError too. Wrap the module
    after moving it to its device and dtype. ``device_ids`` and
    ``output_device`` are accepted as in PyTorch: the module's own device is
    used. The state_dict's keys start with ``module.``, as in PyTorch.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25):
        super().__init__()
        if dim != 0 or process_group is not None:
            raise ValueError(f"DistributedDataParallel: only dim=0 (the batch dimension) and the default process "
                             f"group (process_group=None) are supported, got dim={dim!r}, "
                             f"process_group={process_group!r}")
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: the default process group is not initialised; call "
                               "minigrad.distributed.init_process_group('mpi') first")
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        names = {id(p): n for n, p in module.named_parameters()}
        params = [p for p in module.parameters() if p.requires_grad][::-1]
        if not params:  # PyTorch: RuntimeError "DistributedDataParallel is not needed when a module doesn't ..."
            raise RuntimeError(f"DistributedDataParallel: {type(module).__name__} has no parameter that requires "
                               "grad, so there is no gradient to average; call the module directly")
        _verify_same_network(module)
        buckets, size, cap = [], 0, bucket_cap_mb * 2 ** 20
        for p in params:
            nbytes = p.numel() * p.dtype.itemsize
            last = buckets[-1] if buckets else None
            if last is None or size + nbytes > cap or (p.dtype, p.device) != (last[0].dtype, last[0].device):
                buckets.append([])
                size = 0
            buckets[-1].append(p)
            size += nbytes
        self._buckets, self._names = buckets, names
        self._bucket_of = {id(p): i for i, bucket in enumerate(buckets) for p in bucket}
        self._start_round(expect_sync=False)
        for group in _by_kind(list(module.parameters()) + list(module.buffers())):
            _coalesced(group, lambda flat: dist.broadcast_array(flat, 0, "the initial parameters and buffers"))
        for p in params:
            p.register_post_accumulate_grad_hook(self._grad_ready)

    def _start_round(self, expect_sync, averaged=False):
        """A new round of gradients to average (``expect_sync``), after one was ``averaged`` or none."""
        self._expect_sync, self._averaged = expect_sync, averaged
        self._ready = [0] * len(self._buckets)
        self._ready_params = set()
        self._next_bucket = 0

    def _grad_ready(self, p):
        """Post-accumulate-grad hook: count ``p`` in its bucket; all-reduce every complete bucket in order."""
        if not self._expect_sync:
            if self._averaged:
                raise RuntimeError(
                    f"DistributedDataParallel: a gradient reached parameter {self._names[id(p)]} after this "
                    "forward's gradients were averaged (a second backward through the output of one forward, or "
                    "a parameter used outside the module's forward); it would stay unaveraged, so the "
                    "processes would drift apart; call the wrapped module's forward again before each backward")
            return
        if not self._ready_params:
            queue_backward_callback(self._check_round_complete)
        self._ready[self._bucket_of[id(p)]] += 1
        self._ready_params.add(id(p))
        while self._next_bucket < len(self._buckets) and \
                self._ready[self._next_bucket] == len(self._buckets[self._next_bucket]):
            grads = [q.grad for q in self._buckets[self._next_bucket]]
            _coalesced(grads, lambda flat: dist.all_reduce_array(flat, dist.ReduceOp.AVG, "a bucket of gradients"))
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            self._start_round(expect_sync=False, averaged=True)

    def _check_round_complete(self):
        """End of a backward that produced some gradients: every bucket must have been averaged."""
        if not self._expect_sync:
            return
        missing = [self._names[id(p)] for b in self._buckets for p in b if id(p) not in self._ready_params]
        self._start_round(expect_sync=False)
        raise RuntimeError(
            f"DistributedDataParallel: this backward produced no gradient for parameter(s) {', '.join(missing)} "
            f"in rank {dist.get_rank()}, so their buckets cannot be averaged over the processes; every parameter "
            "that requires grad must take part in the loss in every process (or set requires_grad=False on it "
            "before wrapping; there is no find_unused_parameters)")

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.training:
            buffers = list(self.module.buffers())
            for group in _by_kind(buffers):
                _coalesced(group, lambda flat: dist.broadcast_array(flat, 0, "the buffers (broadcast_buffers)"))
        if is_grad_enabled():  # a forward under no_grad has no backward: the round in progress stays
            self._start_round(expect_sync=self.require_backward_grad_sync)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside: forwards' backward passes only accumulate local gradients (gradient accumulation); the
        first synchronised backward after it averages everything accumulated."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
