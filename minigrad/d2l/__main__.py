"""``python -m minigrad.d2l``: run the book's chapters on minigrad with only their imports changed.

    python -m minigrad.d2l convert batch-norm.ipynb [-o out.ipynb] [--execute] [--data-dir DIR]
    python -m minigrad.d2l run-chapter chapter.md [--data-dir DIR]

Quick runs: MINIGRAD_D2L_LIMIT=N,M (examples), MINIGRAD_D2L_MAX_BATCHES=N and MINIGRAD_D2L_MAX_EPOCHS=N
(per Trainer.fit); figures outside a notebook go to MINIGRAD_D2L_FIGURES (default runs/d2l).
"""
import argparse
import os
import sys

from minigrad import data
from minigrad.d2l import notebook

DATA_HINT = ("pass --data-dir DIR (or set MINIGRAD_DATA=DIR), DIR a folder holding the four Fashion-MNIST files "
             f"({', '.join(name + '[.gz]' for name in data.SHA256)})")


def _is_missing_data(name, message):
    return name in ("FileNotFoundError", "DatasetError") and "Fashion-MNIST" in message


def _fail(what, name, message):
    """The one-line error for a failed run (with the data hint when the data set is missing); exit status 1."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    hint = f"; {DATA_HINT}" if _is_missing_data(name, message) else ""
    sys.exit(f"error: {what}: {name}: {first}{hint}")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m minigrad.d2l", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    commands = parser.add_subparsers(dest="command", required=True)
    convert = commands.add_parser("convert", help="write a copy of a book notebook that imports minigrad")
    convert.add_argument("notebook", help="the book's .ipynb file")
    convert.add_argument("-o", "--output", help="the converted notebook (default: NAME.minigrad.ipynb next to it)")
    convert.add_argument("--execute", action="store_true", help="run it in a Jupyter kernel before writing it "
                         "(needs nbclient and ipykernel: pip install 'minigrad[test]')")
    convert.add_argument("--timeout", type=float, default=None, help="seconds allowed per cell (default: no limit)")
    chapter = commands.add_parser("run-chapter", help="run the ```python blocks of a chapter's text as notebook cells")
    chapter.add_argument("text", help="the chapter's text (Markdown with ```python code blocks)")
    for sub in (convert, chapter):
        sub.add_argument("--data-dir", help="the Fashion-MNIST folder (sets MINIGRAD_DATA; default: "
                         "$MINIGRAD_DATA, else ~/.cache/minigrad/fashion-mnist, downloaded once)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.data_dir is not None:
        os.environ[data.ENV_VAR] = args.data_dir  # read by the chapter's process and by the kernel it starts
    if args.command == "convert":
        needed = "nbformat, nbclient and ipykernel" if args.execute else "nbformat"
        try:
            import nbformat  # noqa: F401
            if args.execute:
                import ipykernel  # noqa: F401
                from nbclient.exceptions import CellExecutionError
        except ImportError as e:
            sys.exit(f"error: convert{' --execute' if args.execute else ''} needs {needed} ({e}): "
                     f"pip install {needed.replace(',', '').replace(' and', '')}")
        try:
            out = notebook.convert(args.notebook, args.output, execute_it=args.execute, timeout=args.timeout)
        except (CellExecutionError,) if args.execute else () as e:
            _fail(args.notebook, e.ename, e.evalue)
        except (OSError, ValueError) as e:
            _fail(args.notebook, type(e).__name__, str(e))
        print(f"{'executed and wrote' if args.execute else 'wrote'} {out}")
    else:
        try:
            notebook.run_chapter(args.text)
        except (FileNotFoundError, data.DatasetError) as e:
            if not _is_missing_data(type(e).__name__, str(e)):
                raise
            _fail(args.text, type(e).__name__, str(e))


if __name__ == "__main__":
    main()
