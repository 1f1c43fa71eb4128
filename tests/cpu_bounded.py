"""Subprocesses that tests start, bounded by the CPU time they use rather than by the wall clock.

On a busy machine a run gets a small share of the cores: the D2L chapter on a few examples needs about 12 s of
CPU, which took 12 s of wall clock when it had a core to itself and 115 s at a load average of 17 on the 2-core
development machine, so its former wall-clock limit of 300 s failed it at about 2.6 times that load (the likely
cause of its one failure in a full suite; run at nice 19 under that load it failed on pytest-timeout's 300 s).
The CPU time a run uses hardly depends on the load, so the bound is on that (``RLIMIT_CPU``, which the run's own
child processes get too). The wall-clock limit only catches a process that waits forever without using the CPU:
it is an hour, and a test that starts such runs sets more than that as its pytest-timeout (``hang_guard``).
"""
import resource
import signal
import subprocess

import pytest

HANG_SECONDS = 3600
hang_guard = pytest.mark.timeout(HANG_SECONDS + 60)  # the pytest-timeout of a test that starts such runs


def limit(cpu_seconds):
    """A ``preexec_fn`` that limits the process it starts to ``cpu_seconds`` of CPU time (then SIGXCPU)."""
    def preexec():
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 10))
    return preexec


def run(command, cpu_seconds, **kwargs):
    """``subprocess.run(command, **kwargs)`` with at most ``cpu_seconds`` of CPU time for the process; a run that
    needs more fails the test saying so."""
    result = subprocess.run(command, preexec_fn=limit(cpu_seconds), timeout=HANG_SECONDS, **kwargs)
    assert result.returncode != -signal.SIGXCPU, f"{command} used more than {cpu_seconds} s of CPU time"
    return result
