"""PyTorch parity tests: common PyTorch idioms run in PyTorch and in minigrad, by family.

    python -m pytest -q tests/parity           # needs PyTorch: pip install -e '.[parity]'
    python -m tests.parity --summary           # the figures the docs quote, counted live

compare.py holds the comparison and its verdicts, known.py every known difference with its reason,
common.py the inputs the idioms share; each test_<family>.py holds one family's idioms.
"""
