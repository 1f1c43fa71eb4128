"""``python -m tests.parity``: run every parity idiom outside pytest and print the verdicts and figures.

    python -m tests.parity              # a line for each idiom that is not the same, then the figures
    python -m tests.parity --summary    # only the figures (README.md and docs/pytorch.md quote them)
    python -m tests.parity -k softmax   # only the idioms whose name contains "softmax"

Exit status 1 when an idiom gives a verdict known.py does not list for it (a MISMATCH or INTERNAL above all).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, as pytest has it (op_db, real_data)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tests.parity", description=__doc__.splitlines()[0].split(": ", 1)[1])
    p.add_argument("--summary", action="store_true", help="print only the figures (default: also a line per idiom "
                                                          "that is not the same)")
    p.add_argument("-k", default="", help="only idioms whose name contains this (default: all)")
    args = p.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        p.error(f"PyTorch is not installed in {sys.executable} ({exc}): pip install -e '.[parity]' "
                "(CPU wheel: add --extra-index-url https://download.pytorch.org/whl/cpu)")
    from .compare import all_idioms, counts, figures
    from .known import KNOWN

    idioms = [i for i in all_idioms() if args.k in i.name]
    unexpected = 0
    for idiom in idioms:
        kind, detail = idiom.verdict()
        unexpected += kind != KNOWN.get(idiom.name, ("same",))[0]
        if kind != "same" and not args.summary:
            print(f"{kind:9s} {idiom.name}" + (f": {detail}" if detail else ""))
    print(figures(counts(idioms)))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
