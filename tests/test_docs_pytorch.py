"""docs/pytorch.md tells the truth: each "not supported" example raises the error written next to it."""
import re
from pathlib import Path

import pytest

import minigrad
from minigrad import nn
from minigrad.nn import functional as F

DOC = Path(__file__).resolve().parents[1] / "docs" / "pytorch.md"


def unsupported_rows():
    """(code, error type, message start) of each row of the doc's "not supported" table."""
    section = DOC.read_text(encoding="utf-8").split("## What is not supported")[1].split("\n## ")[0]
    rows = re.findall(r"^\| `(.+?)`(?: \([^|]*\))? \| `(\w+): (.+)` \|$", section, re.M)
    assert len(rows) >= 25, section
    return rows


@pytest.mark.parametrize("code, error, message", unsupported_rows(), ids=lambda v: str(v)[:40])
def test_each_unsupported_example_raises_the_documented_error(code, error, message):
    namespace = {"torch": minigrad, "nn": nn, "F": F, "x": minigrad.randn(3, 4), "y": minigrad.tensor([2, 0, 1]),
                 "params": [nn.Parameter(minigrad.zeros(2))]}
    with pytest.raises(Exception) as info:
        eval(code, namespace)
    assert type(info.value).__name__ == error and str(info.value).startswith(message), (code, info.value)
