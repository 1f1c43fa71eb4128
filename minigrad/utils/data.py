"""``minigrad.utils.data``, shaped like ``torch.utils.data``: ``Dataset``, ``TensorDataset``, ``DataLoader``
(over any map-style dataset) and ``DistributedSampler`` (minigrad.data's).

``DataLoader`` takes PyTorch's arguments: the order is ``range(len(dataset))``, a permutation from
minigrad's generator (``shuffle=True``, so ``minigrad.manual_seed`` repeats it) or ``sampler``'s
indices; batches are joined by ``collate_fn`` (default: stack tensors, make numbers a tensor, recurse
into tuples, lists and dicts). ``num_workers``, ``pin_memory`` and ``timeout`` change nothing here (the
data are in memory, read in the calling process). Fashion-MNIST's fast loader is ``minigrad.data.DataLoader``.
"""
import numbers

import numpy as np

from minigrad import random as _random
from minigrad.checks import missing_names
from minigrad.core import Tensor, tensor
from minigrad.data import DistributedSampler
from minigrad.ops import stack

__all__ = ["Dataset", "TensorDataset", "DataLoader", "DistributedSampler", "default_collate"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")


class TensorDataset(Dataset):
    """Rows of tensors of the same length: item ``i`` is ``tuple(t[i] for t in tensors)``."""

    def __init__(self, *tensors):
        if not tensors:
            raise TypeError("TensorDataset needs at least one tensor")
        lengths = [t.shape[0] for t in tensors]
        if len(set(lengths)) != 1:
            raise AssertionError(f"Size mismatch between tensors: first dimensions {lengths} (they must be equal)")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


def default_collate(batch):
    """Join a list of samples into a batch: tensors and arrays stacked, numbers made a tensor, tuples and lists
    collated position by position (a list), dicts key by key."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, (np.ndarray, numbers.Number, np.number)):
        return tensor(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, dict):
        return {key: default_collate([b[key] for b in batch]) for key in elem}
    if isinstance(elem, (tuple, list)):
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, NumPy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__} (pass collate_fn=)")


class DataLoader:
    """Batches of ``batch_size`` samples of ``dataset`` (the last one partial unless ``drop_last``)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        for name, value in (("batch_sampler", batch_sampler), ("generator", generator)):
            if value is not None:
                raise NotImplementedError(f"DataLoader: minigrad does not implement {name}= (shuffle=True draws "
                                          "from minigrad's generator; pass sampler= for another order)")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative; got {num_workers!r}")
        self.dataset, self.batch_size, self.shuffle, self.sampler = dataset, int(batch_size), bool(shuffle), sampler
        self.num_workers, self.pin_memory, self.drop_last, self.timeout = num_workers, pin_memory, drop_last, timeout
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def __len__(self):
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        if self.sampler is not None:
            order = list(self.sampler)
        else:
            order = _random.default_generator().permutation(n).tolist() if self.shuffle else range(n)
        stop = len(self) * self.batch_size
        for start in range(0, stop, self.batch_size):
            index = order[start:start + self.batch_size]
            if isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
                rows = np.asarray(index, dtype=np.int64)
                yield [t[rows] for t in self.dataset.tensors]  # one gather per tensor, same result as collating
            else:
                yield self.collate_fn([self.dataset[i] for i in index])


__getattr__ = missing_names("minigrad.utils.data", "torch.utils.data")  # a PyTorch name minigrad lacks: say so
