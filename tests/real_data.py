"""Where the tests find Fashion-MNIST: $MINIGRAD_DATA, else the copy beside the checkout
(../shared/data/fashion-mnist), else minigrad's download folder (where the README's first command puts it).
Tests that need it are skipped, with this path in the reason, where it is missing."""
import os
from pathlib import Path

from minigrad import data

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "fashion-mnist"


def _find():
    if os.environ.get("MINIGRAD_DATA"):
        return Path(os.environ["MINIGRAD_DATA"])
    downloaded = Path(data.DEFAULT_ROOT).expanduser()
    return downloaded if not SHARED.is_dir() and downloaded.is_dir() else SHARED


REAL_DATA = _find()
MISSING = f"Fashion-MNIST not found at {REAL_DATA} (set MINIGRAD_DATA, or download it with the README's first command)"
