"""Containers: Sequential, ModuleList, ModuleDict."""
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from minigrad.nn.modules.module import Module


def _position(container, index):
    """``index`` (an int, negative counting from the end) checked against ``len(container)``, as a position >= 0."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{type(container).__name__} indices must be ints or slices, got {type(index).__name__} "
                        f"{index!r}")
    if not -len(container) <= index < len(container):
        raise IndexError(f"index {index} is out of range for a {type(container).__name__} of {len(container)} modules")
    return int(index) % len(container)


class _Numbered(Module):
    """Submodules named "0", "1", ... in order (Sequential, ModuleList): ``len``, iteration, ``del m[i]``
    (deleting renumbers the rest, as PyTorch does)."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __delitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_position(self, index)]
        self._renumber(modules)

    def _renumber(self, modules):
        self._modules.clear()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)


class Sequential(_Numbered):
    """Modules applied in order; indexable (``net[1]``, ``net[2:]``), sized and iterable; ``net[i] = m``,
    ``del net[i]``, ``append``, ``insert``, ``extend``, ``pop`` (deleting or inserting renumbers the modules
    "0", "1", ..., as PyTorch does)."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_position(self, index)][1]

    def __setitem__(self, index, module):
        self.add_module(list(self._modules)[_position(self, index)], module)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        modules = list(self._modules.values())
        n = len(modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        modules.insert(index, module)  # a negative index counts from the end, before the last for -1
        self._renumber(modules)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def pop(self, index):
        module = self[index]
        del self[index]
        return module

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(_Numbered):
    """A list of registered submodules (named "0", "1", ...): indexing, slicing, ``len``, iteration, ``append``,
    ``extend``, ``insert``, ``+=``, item assignment and deletion; it has no ``forward`` of its own."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(_position(self, index))]

    def __setitem__(self, index, module):
        self.add_module(str(_position(self, index)), module)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if not hasattr(modules, "__iter__"):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}")
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index`` (as list.insert: clipped to [0, len])."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)


class ModuleDict(Module):
    """An ordered dict of registered submodules: ``[key]``, assignment, ``del``, ``in``, ``len``, iteration over
    keys, ``keys``, ``values``, ``items``, ``update``, ``pop``, ``clear``; it has no ``forward`` of its own."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules):
        """Add (or replace) the modules of a mapping, or of an iterable of (key, module) pairs."""
        pairs = modules.items() if isinstance(modules, (Mapping, ModuleDict)) else modules
        for pair in pairs:
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(f"ModuleDict.update expects a mapping or (key, module) pairs, got an element "
                                f"{type(pair).__name__} {pair!r}")
            self[pair[0]] = pair[1]

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def clear(self):
        self._modules.clear()
