"""scripts/<name>.py imported as a module, for the tests that call a script's functions (scripts/ is a folder of
programs, not a package)."""
import importlib.util
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script(name):
    """A fresh module of scripts/<name>.py (its top level run once more, nothing shared with another load)."""
    spec = importlib.util.spec_from_file_location(f"_script_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
