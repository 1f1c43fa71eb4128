"""Without PyTorch the parity tests are skipped with the way to get it, and the figures command says so."""
import sys
from pathlib import Path

import cpu_bounded

pytestmark = cpu_bounded.hang_guard  # the runs below are bounded by their CPU time; the wall clock guards a hang
ROOT = Path(__file__).resolve().parents[2]
HIDE_TORCH = "import sys; sys.modules['torch'] = None; "  # `import torch` raises ImportError, as where it is absent


def python(code):
    return cpu_bounded.run([sys.executable, "-c", HIDE_TORCH + code], 120, cwd=ROOT, capture_output=True, text=True)


def test_a_family_module_is_skipped_with_how_to_get_pytorch():
    result = python("import pytest; sys.exit(pytest.main(['-q', '-rs', '-p', 'no:cacheprovider', "
                    "'tests/parity/test_shape.py']))")
    assert result.returncode == 5, result.stdout + result.stderr  # pytest's "no tests ran": the module was skipped
    assert "1 skipped" in result.stdout and "pip install -e '.[parity]'" in result.stdout, result.stdout


def test_the_figures_command_says_how_to_get_pytorch():
    result = python("import runpy; sys.argv = ['tests.parity', '--summary']; "
                    "runpy.run_module('tests.parity', run_name='__main__')")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert f"PyTorch is not installed in {sys.executable}" in result.stderr
    assert "pip install -e '.[parity]'" in result.stderr
