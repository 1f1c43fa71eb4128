"""Grad mode, per thread as in PyTorch: no_grad, enable_grad, set_grad_enabled, is_grad_enabled."""
import functools
import threading

_grad_state = threading.local()


def is_grad_enabled():
    """True unless inside ``no_grad()`` or ``set_grad_enabled(False)``."""
    return getattr(_grad_state, "enabled", True)


class _GradMode:
    """A context manager and decorator that sets grad mode to ``mode`` and restores it afterwards."""

    mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self(func) if callable(func) else self  # a bare @no_grad decorates directly

    def __enter__(self):
        self.prev = is_grad_enabled()
        _grad_state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _grad_state.enabled = self.prev
        return False

    def _fresh(self):
        return type(self)()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Record no graph (outputs keep no reference to inputs): ``with no_grad():`` or ``@no_grad``."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Record the graph again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):  # noqa: N801
    """Turn graph recording on or off; works as a call, a context manager and a decorator."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self.mode = bool(mode)
        self.prev = is_grad_enabled()
        _grad_state.enabled = self.mode  # a plain call takes effect at once

    def __enter__(self):
        return self

    def _fresh(self):
        return set_grad_enabled(self.mode)

    def __call__(self, fn):
        _grad_state.enabled = self.prev  # used as a decorator: construction must not switch the mode
        return super().__call__(fn)
