"""tests/cpu_bounded.py: a run is stopped by the CPU time it uses, not by the time it waits."""
import sys

import pytest

import cpu_bounded


@cpu_bounded.hang_guard
def test_a_run_that_spins_past_its_cpu_seconds_fails_the_test_saying_so():
    with pytest.raises(AssertionError, match="used more than 1 s of CPU time"):
        cpu_bounded.run([sys.executable, "-c", "while True: pass"], 1)


@cpu_bounded.hang_guard
def test_waiting_does_not_count():
    result = cpu_bounded.run([sys.executable, "-c", "import time; time.sleep(3); print('done')"], 1,
                             capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "done\n"
