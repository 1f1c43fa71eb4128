"""PyTorch is a test-only dependency: no module of minigrad/ or models/ imports it (read by ast, runs without it)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for d in ("minigrad", "models") for p in (ROOT / d).rglob("*.py"))


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            yield node.args[0].value


def test_no_module_of_minigrad_or_models_imports_torch():
    assert len(SOURCES) > 20 and (ROOT / "minigrad" / "__init__.py") in SOURCES
    offenders = {str(p.relative_to(ROOT)): [m for m in imported_modules(p) if m.split(".")[0] == "torch"]
                 for p in SOURCES}
    assert not {p: m for p, m in offenders.items() if m}, "PyTorch belongs to the tests only"
