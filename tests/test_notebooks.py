"""The current edition's seven chapters, as the book ships them for Jupyter (../shared/books/d2l-en-1.0.3), converted
by minigrad.d2l (imports only) and run in a real Jupyter kernel, training cut short by the documented switches
(MINIGRAD_D2L_LIMIT, MINIGRAD_D2L_MAX_BATCHES, MINIGRAD_D2L_MAX_EPOCHS); what they print is checked against the
book's own outputs stored in the notebook (shapes, layer summaries, the figure of each training run)."""
import re
import sys
from pathlib import Path

import pytest

import cpu_bounded
from minigrad import d2l

BOOK = Path(__file__).resolve().parents[2] / "shared" / "books" / "d2l-en-1.0.3" / "notebooks"
NOTEBOOKS = ["chapter_convolutional-modern/batch-norm.ipynb", "chapter_convolutional-modern/resnet.ipynb",
             "chapter_convolutional-modern/densenet.ipynb", "chapter_convolutional-neural-networks/lenet.ipynb",
             "chapter_linear-classification/softmax-regression-concise.ipynb",
             "chapter_multilayer-perceptrons/mlp-implementation.ipynb",
             "chapter_multilayer-perceptrons/dropout.ipynb"]
CPU_SECONDS = 600  # for the converter, and as much for its kernel
QUICK = {d2l.LIMIT_VAR: "32,32", d2l.MAX_BATCHES_VAR: "1", d2l.MAX_EPOCHS_VAR: "1", "MINIGRAD_NUM_THREADS": "1"}
NUMBERS = re.compile(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")
VALUES = re.compile(r"tensor\(\[([^\]]*)\]")


def book(name):
    path = BOOK / name
    if not path.is_file():
        pytest.skip(f"the book's notebook is not at {path} (../shared/books next to the checkout)")
    return path


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def texts(cell, kind):
    """The text of the cell's outputs of one kind: 'stream' (stdout) or 'result' (text/plain of the value shown)."""
    if kind == "stream":
        return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
    return [o.data["text/plain"] for o in cell.outputs if o.output_type == "execute_result"]


def figures(cell):
    return sum(o.output_type == "display_data" and any(k.startswith("image/") for k in o.data) for o in cell.outputs)


def check_stream(ours, theirs):
    """Printed lines: a layer summary line as the book's (name and shape), the other lines the same text; a line of
    random values (dropout at p = 0.5) the same count of numbers."""
    assert len(ours.splitlines()) == len(theirs.splitlines()), (ours, theirs)
    random_block = False
    for mine, book_line in zip(ours.splitlines(), theirs.splitlines()):
        random_block = book_line.startswith("dropout_p = 0.5") or (random_block and book_line.startswith(" "))
        if "output shape:" in book_line:
            assert mine.split()[0] == book_line.split()[0], (mine, book_line)
            assert NUMBERS.findall(mine.partition(":")[2]) == NUMBERS.findall(book_line.partition(":")[2])
        elif random_block:
            assert len(NUMBERS.findall(mine)) == len(NUMBERS.findall(book_line)), (mine, book_line)
        else:
            assert mine == book_line


def check_result(ours, theirs):
    """A shape shown as the book's (minigrad.Size for torch.Size); trained values: as many as the book's."""
    if theirs.startswith("torch.Size"):
        assert ours == theirs.replace("torch.Size", "minigrad.Size")
    else:
        assert [len(v.split(",")) for v in VALUES.findall(ours)] == [len(v.split(",")) for v in VALUES.findall(theirs)]


@cpu_bounded.hang_guard
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_books_notebook_runs_in_a_kernel_and_prints_what_the_book_shows(name, real_data, tmp_path, monkeypatch):
    import nbformat
    path = book(name)
    for var, value in {**QUICK, d2l.FIGURES_VAR: str(tmp_path)}.items():
        monkeypatch.setenv(var, value)
    out = tmp_path / "out.ipynb"
    # the converter as a user runs it; it and its Jupyter kernel (which inherits the limit) are bounded by the CPU
    # time they use, not by the wall clock, which a loaded machine stretches
    done = cpu_bounded.run([sys.executable, "-m", "minigrad.d2l", "convert", path, "-o", out, "--execute"],
                           CPU_SECONDS, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ours, theirs = code_cells(nbformat.read(str(out), 4)), code_cells(nbformat.read(str(path), 4))[1:]
    assert [cell.source for cell in ours] == [d2l.notebook.to_minigrad(cell.source) for cell in theirs]
    for mine, book_cell in zip(ours, theirs):
        assert not [o for o in mine.outputs if o.output_type == "stream" and o.name == "stderr"], mine.outputs
        check_stream(texts(mine, "stream"), texts(book_cell, "stream"))
        assert len(texts(mine, "result")) == len(texts(book_cell, "result")), (mine.source, mine.outputs)
        for result, book_result in zip(texts(mine, "result"), texts(book_cell, "result")):
            check_result(result, book_result)
        assert figures(mine) == figures(book_cell), (mine.source, mine.outputs)  # one per training run
    assert not list(tmp_path.glob("*.png"))  # in a notebook the figures are shown, not written
