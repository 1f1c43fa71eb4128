"""The package's layers (docs/architecture.md), checked from its source with ``ast``: imports run one way (no import
circle between minigrad's modules), none is made inside a function, and no module takes another package's
underscore names. Each check is shown to fail on a small bad package written here."""
import ast
import importlib
import inspect
import json
import re
import textwrap
from pathlib import Path

import minigrad

PACKAGE = Path(minigrad.__file__).parent


def modules(root):
    """{dotted name: parsed tree} of every module under the package directory ``root``."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = (ast.parse(path.read_text(), str(path)), path.name == "__init__.py")
    return found


def imported(node, name, is_package, known):
    """The package's modules an import statement of module ``name`` reads: ``from a.b import c`` reads a.b.c when
    that is a module, else a.b; relative imports resolved."""
    if isinstance(node, ast.Import):
        return [(alias.name, None) for alias in node.names if alias.name in known]
    base = node.module or ""
    if node.level:
        parent = name.split(".") if is_package else name.split(".")[:-1]
        parent = parent[:len(parent) - node.level + 1]
        base = ".".join(parent + ([base] if base else []))
    out = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in known:
            out.append((sub, None))
        elif base in known:
            out.append((base, alias.name))
    return out


def unit(module):
    """The package a module belongs to for the underscore rule: minigrad.<first part> (minigrad.nn for
    minigrad.nn._functions.conv, minigrad.data for minigrad/data.py, minigrad for the face)."""
    return ".".join(module.split(".")[:2])


def problems(root):
    """(circles, late imports, foreign underscore names) found in the package at ``root``."""
    mods = modules(root)
    graph, late, private = {name: set() for name in mods}, [], []
    for name, (tree, is_package) in mods.items():
        bound = {}  # local name -> module it is bound to (import x.y as z, from x import y)
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target, member in imported(node, name, is_package, mods):
                    graph[name].add(target)
                    if member is not None and member.startswith("_") and unit(target) != unit(name):
                        private.append(f"{name}: from {target} import {member}")
                for alias in node.names:
                    full = alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
                    if full in mods:
                        bound[alias.asname or alias.name.split(".")[0]] = full
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)) and imported(inner, name, is_package, mods):
                        late.append(f"{name}, line {inner.lineno}: import inside {node.name}()")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound \
                    and node.attr.startswith("_") and not node.attr.startswith("__") \
                    and unit(bound[node.value.id]) != unit(name):
                private.append(f"{name}, line {node.lineno}: {node.value.id}.{node.attr}")
    return circles(graph), late, private


def circles(graph):
    """Each import circle once, as a list of modules (depth-first search)."""
    found, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_minigrad_imports_run_one_way_with_no_late_import_and_no_foreign_private_name():
    found_circles, late, private = problems(PACKAGE)
    assert found_circles == []
    assert late == []
    assert private == []


def write_package(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_the_checks_fail_on_a_bad_package(tmp_path):
    root = write_package(tmp_path / "bad", {
        "__init__.py": "from bad import core, ops\n",
        "core.py": "from bad import ops\n\n\ndef f():\n    from bad import ops\n    return ops\n",
        "ops/__init__.py": "from bad.ops.shape import _helper\n",
        "ops/shape.py": "from bad.core import _secret\n\n\ndef _helper():\n    return 1\n",
        "nn.py": "from bad import ops\n\n\ndef g():\n    return ops._helper()\n",
    })
    found_circles, late, private = problems(root)
    assert ["bad.core", "bad.ops", "bad.ops.shape", "bad.core"] in found_circles
    assert late == ["bad.core, line 5: import inside f()"]
    assert sorted(private) == ["bad.nn, line 5: ops._helper", "bad.ops.shape: from bad.core import _secret"]


def test_a_package_without_those_faults_passes(tmp_path):
    root = write_package(tmp_path / "good", {
        "__init__.py": "from good import core, ops\n",
        "core.py": "import json\n\n\ndef f():\n    import numpy\n    return numpy, json\n",
        "ops/__init__.py": "from good.ops.shape import _helper\n",  # underscore names inside one package: allowed
        "ops/shape.py": "from good.core import f\n\n\ndef _helper():\n    return f()\n",
    })
    assert problems(root) == ([], [], [])


def test_every_tensor_method_of_before_the_split_is_still_there():
    # dir(Tensor)'s public names and dunders at aadd485, before the core and the ops were split into layers, and
    # sinh and cosh, which branch nnfeat added to Tensor on that layout
    before = json.loads((Path(__file__).parent / "tensor_methods.json").read_text())
    now = sorted(n for n in dir(minigrad.Tensor) if not n.startswith("_") or n.startswith("__") and n.endswith("__"))
    now = [n for n in now if n != "__slotnames__"]  # copyreg's cache, set on the class by the first copy or pickle
    assert sorted(set(before) - set(now)) == []
    assert sorted(set(now) - set(before)) == []


def test_functions_with_the_method_arguments_are_installed_as_themselves():
    # Tensor.exp is minigrad.ops.exp itself (help() shows its docstring and signature), not a wrapper around it
    families = [importlib.import_module(f"minigrad.ops.{name}") for name in minigrad.ops.FAMILIES]
    installed = [(family, name) for family in families for name in getattr(family, "TENSOR_FUNCTIONS", ())]
    assert len(installed) > 50
    for family, name in installed:
        assert getattr(minigrad.Tensor, name) is getattr(family, name), name
    assert minigrad.Tensor.sum.__doc__ == minigrad.ops.sum.__doc__
    assert "dim" in str(inspect.signature(minigrad.Tensor.sum))


def test_the_reading_path_line_counts_in_docs_architecture_are_the_files_line_counts():
    root = PACKAGE.parent
    doc = (root / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| `(minigrad/[\w/]+\.py)` \| ~(\d+) \|", doc, re.M)
    assert len(rows) >= 8
    for path, quoted in rows:  # rounded to tens in the doc: a few lines more or less need no edit there
        assert abs(int(quoted) - len((root / path).read_text().splitlines())) <= 0.1 * int(quoted), path
    total = int(re.search(r"In all about ([\d,]+) lines", doc).group(1).replace(",", ""))
    assert abs(total - sum(int(quoted) for _, quoted in rows)) <= 50


def test_every_name_read_from_an_imported_minigrad_module_exists_there():
    # a moved function leaves no caller behind: `ops.wrap_dim` in nn would fail only when that line runs
    mods, missing = modules(PACKAGE), []
    for name, (tree, _) in mods.items():
        bound = {}  # local name -> minigrad module (from minigrad import ops; import minigrad.distributed as dist)
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    full = alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
                    if full in mods and (alias.asname or isinstance(node, ast.ImportFrom)):
                        bound[alias.asname or alias.name] = full
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
                if not hasattr(importlib.import_module(bound[node.value.id]), node.attr):
                    missing.append(f"{name}, line {node.lineno}: {node.value.id}.{node.attr}")
    assert missing == []
