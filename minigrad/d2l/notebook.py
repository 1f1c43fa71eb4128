"""The book's chapters run on minigrad with only their imports changed.

- ``convert(book.ipynb, out)``: a copy of a notebook whose imports point at minigrad (``import torch`` ->
  ``import minigrad as torch``, ``from torch.X import Y`` -> ``from minigrad.X import Y``,
  ``from d2l import torch as d2l`` -> ``from minigrad import d2l``), without its ``!pip install`` cells
  and without the book's outputs;
- ``execute(notebook, out)``: runs a notebook in a real Jupyter kernel of this Python (nbclient, ipykernel);
- ``run_chapter(text)``: the ```python blocks of a chapter's text (Markdown) run as notebook cells, imports
  changed the same way (the older edition's chapter);
- ``run_notebook(file.py)``: the ``# %%`` cells of a Python file run as notebook cells.
"""
import ast
import bisect
import os
import pprint
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Each rule: a whole import line of the book (indentation kept) -> its minigrad line.
IMPORT_RULES = [
    (re.compile(r"^(\s*)from d2l import torch as d2l\s*$"), r"\1from minigrad import d2l"),
    (re.compile(r"^(\s*)import torch\s*$"), r"\1import minigrad as torch"),
    (re.compile(r"^(\s*)import torch((?:\.\w+)+) as (\w+)\s*$"), r"\1import minigrad\2 as \3"),
    (re.compile(r"^(\s*)from torch((?:\.\w+)*) import (.+)$"), r"\1from minigrad\2 import \3"),
]
PIP_LINE = re.compile(r"^\s*[!%]pip\s")
CODE_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
CELL_MARK = "# %%"


def to_minigrad(source):
    """``source`` with the book's torch and d2l import lines pointed at minigrad (other lines unchanged)."""
    def line(text):
        for pattern, replacement in IMPORT_RULES:
            if pattern.match(text):
                return pattern.sub(replacement, text)
        return text
    return "\n".join(line(text) for text in source.split("\n"))


def _is_pip_cell(cell):
    lines = [line for line in cell.source.split("\n") if line.strip()]
    return cell.cell_type == "code" and bool(lines) and all(PIP_LINE.match(line) for line in lines)


def _write_atomically(nb, out):
    """Write notebook ``nb`` to ``out`` through a temporary file in its folder (nothing half-written)."""
    import nbformat
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=out.parent, prefix=f".{out.name}.", suffix=".part",
                                     delete=False, encoding="utf-8") as tmp:
        nbformat.write(nb, tmp)
    os.replace(tmp.name, out)


def converted(path):
    """The notebook at ``path``, converted (see ``convert``), as an nbformat object."""
    import nbformat
    nb = nbformat.read(str(path), as_version=4)
    nb.cells = [cell for cell in nb.cells if not _is_pip_cell(cell)]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = to_minigrad(cell.source)
            cell.outputs, cell.execution_count = [], None
    return nb


def default_output(path):
    """Where ``convert`` writes by default: ``<name>.minigrad.ipynb`` next to the book's notebook."""
    path = Path(path)
    return path.with_name(f"{path.stem}.minigrad.ipynb")


def convert(path, out=None, execute_it=False, timeout=None):
    """Write the book's notebook ``path`` converted to minigrad to ``out`` (default ``default_output``);
    with ``execute_it``, first run it in a kernel (``execute``). Returns the path written."""
    out = Path(out) if out is not None else default_output(path)
    nb = converted(path)
    if execute_it:
        out.parent.mkdir(parents=True, exist_ok=True)  # the kernel's working folder
        nb = execute(nb, cwd=out.parent, timeout=timeout)
    _write_atomically(nb, out)
    return out


def _kernel_manager():
    """A kernel manager that starts ipykernel with this very Python (where minigrad is installed)."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name=f"Python ({sys.executable})", language="python")
    return KernelManager(kernel_spec_manager=ThisPython(), kernel_name="python3")


def execute(nb, cwd=".", timeout=None):
    """Run notebook ``nb`` (an nbformat object or a path) in a Jupyter kernel of this Python, in folder
    ``cwd``, each cell within ``timeout`` seconds (None: no limit); returns it with its outputs. A cell
    that raises stops the run with nbclient's ``CellExecutionError``."""
    import nbformat
    from nbclient import NotebookClient
    if not hasattr(nb, "cells"):
        nb = nbformat.read(str(nb), as_version=4)
    client = NotebookClient(nb, km=_kernel_manager(), timeout=timeout,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(stderr=subprocess.DEVNULL)  # the kernel's own log lines (its transport, its shutdown)
    return nb


def _run_cells(cells, filename, namespace):
    """Run ``cells`` (lists of ast statements) in ``namespace`` as Jupyter runs a notebook: when a cell ends
    with an expression whose value is not None, that value is displayed (pretty-printed)."""
    for body in cells:
        last = body.pop() if body and isinstance(body[-1], ast.Expr) else None
        exec(compile(ast.Module(body=body, type_ignores=[]), filename, "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), filename, "eval"), namespace)
            if value is not None:
                pprint.pprint(value)


def run_notebook(path):
    """Run the ``# %%`` cells of the Python file ``path`` in order, in one namespace, as Jupyter
    runs a notebook (see ``_run_cells``). Code before the first ``# %%`` line is not run."""
    source = Path(path).read_text(encoding="utf-8")
    marks = [n for n, line in enumerate(source.splitlines(), 1) if line.strip() == CELL_MARK]
    if not marks:
        raise ValueError(f"{path} has no '{CELL_MARK}' cell markers")
    cells = [[] for _ in marks]
    for statement in ast.parse(source, filename=str(path)).body:
        if statement.lineno > marks[0]:
            cells[bisect.bisect(marks, statement.lineno) - 1].append(statement)
    _run_cells(cells, str(path), {"__name__": "__main__", "__file__": str(path)})


def chapter_blocks(text):
    """The ```python code blocks of a chapter's Markdown text: [(first line number, code)], code as written."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1).rstrip("\n")) for m in CODE_BLOCK.finditer(text)]


def run_chapter(path):
    """Run the ```python blocks of the chapter text ``path`` as notebook cells, imports changed by
    ``to_minigrad``; tracebacks name the text's own lines."""
    text = Path(path).read_text(encoding="utf-8")
    blocks = chapter_blocks(text)
    if not blocks:
        raise ValueError(f"{path} has no ```python code blocks")
    cells = []
    for first_line, code in blocks:
        tree = ast.parse(to_minigrad(code), filename=str(path))
        ast.increment_lineno(tree, first_line - 1)
        cells.append(tree.body)
    _run_cells(cells, str(path), {"__name__": "__main__", "__file__": str(path)})
