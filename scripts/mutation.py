#!/usr/bin/env python
"""Mutation testing of minigrad's math with mutmut: how many planted bugs does the test suite catch?

    pip install -e '.[dev]'                      # mutmut (a development tool, not a runtime dependency)
    python scripts/mutation.py                   # the files below, the fast targeted tests (hours: ~15,000 mutants)
    python scripts/mutation.py --files minigrad/optim.py --without tests/test_references.py --out /tmp/before.json

Not run in CI: it is slow. mutmut changes the code it mutates, so this never runs in the checkout:
it copies the committed tree (``git archive HEAD``) to ``--workdir``, writes mutmut's configuration
there, runs the selected tests once (tests that already fail there are deselected, and listed),
then ``mutmut run``. mutmut makes one mutant per small change (an operator, a constant, a
comparison, a string, an argument dropped...), and for each runs the selected tests that reach the
mutated function. A mutant is *killed* when a test fails (or it times out), *survives* when they
all pass, and has *no tests* when none reaches it. Score = killed / all mutants.

Writes a JSON summary (``--out``): settings, per-file counts and score, and every surviving
mutant with its diff. docs/testing.md records the scores and explains the survivors.
"""
import argparse
import ast
import functools
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The math: the ops, the layers' Functions and Modules, the core (Tensor, Function, engine), the optimisers.
# The packages' faces (__init__.py, nn/functional.py) only import and re-export: nothing there to mutate.
FILES = sorted(str(p.relative_to(ROOT)) for pattern in ("minigrad/core/*.py", "minigrad/ops/*.py",
                                                        "minigrad/nn/_functions/*.py", "minigrad/nn/modules/*.py")
               for p in ROOT.glob(pattern) if p.name != "__init__.py") + [
    "minigrad/dtypes.py", "minigrad/nn/_utils.py", "minigrad/optim.py"]
# Fast unit tests that exercise these files: no subprocesses, no real data, no MPI, no GPU.
TESTS = ["tests/test_references.py", "tests/test_layers.py", "tests/test_layers_higher_order.py",
         "tests/test_batchnorm.py", "tests/test_gradcheck.py", "tests/test_autograd.py", "tests/test_tensor.py",
         "tests/test_ops_higher_order.py", "tests/test_higher_order.py", "tests/test_optim.py",
         "tests/test_module.py", "tests/test_models.py", "tests/test_init.py", "tests/test_bad_inputs.py",
         "tests/test_properties.py", "tests/test_ops_edges.py", "tests/test_tensor_api.py",
         "tests/test_mutants_ops.py", "tests/test_mutants_functional.py", "tests/test_dtypes.py",
         "tests/test_nn_extras.py", "tests/test_functional_batch_norm.py", "tests/test_docs_pytorch.py",
         "tests/test_serialization.py", "tests/test_mutants_messages.py",
         # and those written since for the families the layers brought into FILES (LayerNorm, lazy modules, grouped
         # convolutions, integers, empty and 0-d tensors, mixed indexing, writes, in-place autograd)
         "tests/test_layer_norm.py", "tests/test_lazy.py", "tests/test_conv_groups.py", "tests/test_hyperbolic.py",
         "tests/test_integers.py", "tests/test_empty_and_0d.py", "tests/test_mixed_indexing.py", "tests/test_writes.py",
         "tests/test_inplace_autograd.py", "tests/test_batch_of_one.py", "tests/test_optim_state.py",
         "tests/test_pytorch_extras.py", "tests/test_pytorch_idioms.py", "tests/test_check_side_effects.py",
         # the convolution's paths by their shapes (the forward by kernel rows is reached only here, below 64 channels)
         "tests/test_conv_paths.py",
         # the layers' work split over threads (the suite runs one thread: a part after the first is reached only here)
         "tests/test_split.py"]
PYTEST_ARGS = ["-p", "no:cacheprovider", "-p", "no:timeout", "-q", "-m", "not slow and not gpu"]
DETECTED = {"killed", "timeout", "segfault", "suspicious"}


# Survivors are sorted by rules on their changed lines (old -> new); each rule is a reason. What no rule
# explains is read by hand: docs/mutation_reasons.json gives each such mutant its class and reason (or "killed
# by" the test that kills it) with the line it mutates and the mutated line, by which --report finds it again
# (read_reasons), and --report writes the list (docs/mutation_survivors.md).
STRING = re.compile(r"""[rbfRBF]{0,2}("([^"\\]|\\.)*"|'([^'\\]|\\.)*')""")
RULES = [  # (class, reason, test on (old, new): the changed lines joined)
    ("GPU path", "the mutated code runs only on CuPy arrays (a fused `cuda.kernels()` call, or the array module "
     "asked of `None`, which is NumPy as on the CPU); tests/test_gpu.py needs a GPU",
     lambda o, n: "cuda.kernels()" in o or "cuda.kernels()" in n and "cuda" in o
     or re.sub(r"get_array_module\([^()]*(\([^()]*\))?[^()]*\)", "M", o) == n.replace("get_array_module(None)", "M")
     or re.sub(r"device_of\([^()]*\)", "D", o) == n.replace("device_of(None)", "D")
     or any("cuda" in a for a, b in _string_pairs(o, n)) or "(x.device.type == \"cuda\") and False" in n),
    ("kind set in XX", "XX around a string of dtype kinds tested with `in`: a kind is one letter, never X, so "
     "membership is the same",
     lambda o, n: bool(re.search(r' in "XX\w+XX"', n)) and re.sub(r'"XX(\w+)XX"', r'"\1"', n) == o),
    ("keepdim before a reshape", "`keepdim` dropped from a sum whose result is reshaped on the same line: the "
     "same values",
     lambda o, n: ".reshape(" in o and _sum_keepdim(o) == _sum_keepdim(n) and o != n),
    ("message wording", "a fixed phrase of an error or warning message wrapped in XX or upper-cased (no name, value, "
     "shape or dtype in it): the error type and the values it names are unchanged",
     lambda o, n: _only_strings(o, n) and all(" " in a or a.strip(" ,.:;()'") == "" for a, b in _string_pairs(o, n))),
    ("unneeded gradient", "a gradient computed although nobody asked for it (`need... or True`): the engine drops it",
     lambda o, n: bool(re.search(r"\) or True else", n)) and "need" in n),
    ("reshape -2", "`reshape(..., -2)` for -1: NumPy takes any negative size as the unknown one, the same shape",
     lambda o, n: "reshape" in o and any(o[:i] + "-2" + o[i + 2:] == n
                                         for i in range(len(o)) if o.startswith("-1", i))),
    ("copy flag", "`astype`'s `copy=` changed or dropped, on an array made on that line that nobody else holds: "
     "the same values",
     lambda o, n: "astype(" in o and "copy=" in o and _no_copy(o) == _no_copy(n)),
    ("warning stacklevel or category", "a warning's `stacklevel` changed or its category dropped (`warnings.warn`'s "
     "default is UserWarning): under mutmut its trampoline adds a frame, so no test can see the stacklevel there; "
     "tests in test_mutants_functional.py check where the warnings point on the real code",
     lambda o, n: ("stacklevel" in o or "UserWarning" in o) and re.sub(r"UserWarning|None|stacklevel=\d|,|\s", "", o)
     == re.sub(r"UserWarning|None|stacklevel=\d|,|\s", "", n)),
    ("out of mutmut's reach", "the body of a function run once at import (`_rounding` makes floor, ceil, trunc "
     "and sign), before mutmut switches a mutant on",
     lambda o, n: bool(re.search(r"return Rounding\(|^op\.__(name|doc)__", o))),
]


def _no_copy(line):
    """``line`` without the ``copy=`` argument of its ``astype`` calls."""
    return re.sub(r"(astype\([^(),]*(\([^()]*\))?[^(),]*),\s*(copy=\w+)?\s*\)", r"\1)", line)


def _sum_keepdim(line):
    """``line`` without the keepdim argument of its ``.sum(...).reshape`` calls."""
    return re.sub(r"\.sum\(([^()]*?)(, *(True|False|None|keepdims?=\w+)?)? *\)\.reshape", r".sum(\1).reshape", line)


def _string_pairs(old, new):
    """(old literal, new literal) for each string literal that differs."""
    olds, news = [m.group() for m in STRING.finditer(old)], [m.group() for m in STRING.finditer(new)]
    return [(a, b) for a, b in zip(olds, news) if a != b] if len(olds) == len(news) else [("?", "?")]


def _only_strings(old, new):
    """Whether ``new`` differs from ``old`` only inside string literals, by XX...XX or a change of case."""
    if STRING.sub("S", old) != STRING.sub("S", new):
        return False
    pairs = _string_pairs(old, new)
    return bool(pairs) and all(b.replace("XX", "") == a or b == a.upper() or b == a.lower() for a, b in pairs)


def changed_lines(diff):
    """The removed and added lines of a mutant's unified diff, each joined into one string."""
    lines = [line for line in diff.splitlines() if line[:1] in "-+" and not line.startswith(("---", "+++"))]
    return (" ".join(line[1:].strip() for line in lines if line[0] == "-"),
            " ".join(line[1:].strip() for line in lines if line[0] == "+"))


def survivor_class(diff):
    """(class, reason) of the first rule that explains a survivor, or (None, None)."""
    old, new = changed_lines(diff)
    for name, reason, rule in RULES:
        if rule(old, new):
            return name, reason
    return None, None


def read_reasons(path):
    """{(function, line, change): (class, reason)} of the survivors read by hand (docs/mutation_reasons.json):
    a reason is found by the code it explains (the function's name, the line mutated and the mutated line),
    so it follows that code to another file, and past a renumbering of its function's mutants."""
    reasons = json.loads(path.read_text()) if path.exists() else {}
    return {(function_of(name), r["line"], r["change"]): (r["class"], r["reason"]) for name, r in reasons.items()}


def column(f, files):
    """A file's column in the report: its folder when the folder holds several of ``files``, else the file."""
    folder = str(Path(f).parent)
    shared = folder != "minigrad" and sum(str(Path(g).parent) == folder for g in files) > 1
    return (folder + "/" if shared else f).replace("minigrad/", "", 1)


def report(summary, reasons_path, md_path):
    """Write every survivor of ``summary`` to ``md_path``: a count per class, then a table per class."""
    reasons = read_reasons(reasons_path)
    rows, by_hand = {}, 0
    for name, s in summary["survivors"].items():
        old, new = changed_lines(s["diff"])
        hand = reasons.get((function_of(name), old, new))
        by_hand += hand is not None
        cls, why = hand or survivor_class(s["diff"])
        rows.setdefault(cls or "not explained", []).append((name, new.replace("|", "\\|")[:150], why or ""))
    unexplained = len(rows.get("not explained", []))
    files = list(summary["files"])
    columns = list(dict.fromkeys(column(f, files) for f in files))
    lines = [f"# Surviving mutants of commit `{summary['rev'][:7]}`", "",
             "Written by `python scripts/mutation.py --report SUMMARY` (see docs/testing.md, \"Mutation testing\"): "
             "each survivor of that run with its class and the reason it is left. Classes come from rules on the "
             "changed line (`RULES` in the script) or, for the rest, from docs/mutation_reasons.json (read by hand).",
             "", f"{len(summary['survivors'])} survivors: {len(summary['survivors']) - by_hand - unexplained} sorted "
             f"by a rule, {by_hand} read by hand" + (f", {unexplained} not explained." if unexplained else "."),
             "", "| class | " + " | ".join(columns) + " |", "| --- |" + " ---: |" * len(columns)]
    for cls, items in sorted(rows.items(), key=lambda kv: -len(kv[1])):
        counts = (str(sum(column(source_file(n), files) == c for n, _, _ in items)) for c in columns)
        lines.append(f"| {cls} | " + " | ".join(counts) + " |")
    for cls, items in sorted(rows.items(), key=lambda kv: -len(kv[1])):
        lines += ["", f"## {cls} ({len(items)})", "", "| mutant | change | why it is left |", "| --- | --- | --- |"]
        lines += [f"| `{n.split('minigrad.', 1)[1]}` | `{c}` | {w} |" for n, c, w in sorted(items)]
    md_path.write_text("\n".join(lines) + "\n")
    return rows


def copy_tree(rev, dest, *paths):
    """The files of commit ``rev`` (only ``paths`` if given) written under ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "--format=tar", rev, *paths], cwd=ROOT, capture_output=True,
                             check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")


def commit_of(rev):
    return subprocess.run(["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def toml_list(items):
    return "[" + ", ".join(json.dumps(str(i)) for i in items) + "]"


def failing_tests(workdir, tests, deselect=()):
    """Node ids of the selected tests that fail in ``workdir`` (mutmut needs a passing baseline). In mutmut's
    copy (``workdir/mutants``, no mutant active) this finds the tests that cannot pass under mutmut itself:
    its trampoline adds a stack frame (a warning's stacklevel) and renames functions (Python's own messages)."""
    env = {**os.environ, "PYTHONPATH": str(workdir), "MUTANT_UNDER_TEST": ""}
    run = subprocess.run([sys.executable, "-m", "pytest", *PYTEST_ARGS, "-rf", *tests,
                          *(a for d in deselect for a in ("--deselect", d))], cwd=workdir, env=env,
                         capture_output=True, text=True)
    return sorted(set(re.findall(r"^FAILED (.+?)(?: - .*)?$", run.stdout, re.M)))


def configure(workdir, files, tests, deselect, project):
    """mutmut's settings: ``project`` (the copy's pyproject.toml text) with a [tool.mutmut] section."""
    with open(workdir / "pyproject.toml", "w") as f:
        f.write(project + "\n[tool.mutmut]\n"
                f'source_paths = ["minigrad"]\n'
                f"only_mutate = {toml_list(files)}\n"
                f'also_copy = ["models", "scripts", "tests", "docs", "setup.cfg"]\n'
                f"pytest_add_cli_args = {toml_list(PYTEST_ARGS + [a for d in deselect for a in ('--deselect', d)])}\n"
                f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n")


def mutmut(workdir, *args, **kwargs):
    """mutmut in ``workdir``, with OpenMP at one thread: mutmut runs the tests once in its own process, then forks
    a child per mutant, and GNU OpenMP's thread pool (PyTorch's, when the parity oracle is installed) does not
    survive a fork: a child's first parallel region waited forever, and the mutant counted as detected by timeout."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([str(Path(sys.executable).with_name("mutmut")), *args], cwd=workdir, text=True, env=env,
                          **kwargs)


def all_mutants(workdir, files):
    """Every mutant's name in ``files``: mutmut generates them (and records which tests reach which function)
    when asked to run a mutant that does not exist."""
    mutmut(workdir, "run", "__none__", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    names = []
    for f in files:
        names += sorted(json.loads((workdir / "mutants" / f"{f}.meta").read_text())["exit_code_by_key"])
    return names


def results(workdir):
    """{mutant name: status} for every mutant."""
    out = mutmut(workdir, "results", "--all", "true", capture_output=True, check=True).stdout
    return dict(re.findall(r"^\s*(\S+): (.+?)\s*$", out, re.M))


def diffs(workdir, names):
    """{mutant: unified diff of its function against the original} (what ``mutmut show`` prints, in one process)."""
    import difflib

    import libcst
    from mutmut.mutation.diff_apply import read_mutant_function, read_original_function
    modules, out = {}, {}
    for name in names:
        f = source_file(name)
        if f not in modules:
            modules[f] = libcst.parse_module((workdir / "mutants" / f).read_text())
        old, new = (libcst.Module([fn]).code.strip().split("\n")
                    for fn in (read_original_function(modules[f], name), read_mutant_function(modules[f], name)))
        out[name] = "\n".join(difflib.unified_diff(old, new, f, f, lineterm=""))
    return out


def source_file(name):
    """minigrad.nn.functional.xǁClassǁmethod__mutmut_3 -> minigrad/nn/functional.py."""
    module = name.split(".x")[0] if ".x" in name else name.rsplit(".", 1)[0]
    return module.replace(".", "/") + ".py"


def function_of(name):
    """minigrad.ops.reduction.xǁSumǁforward__mutmut_4 -> xǁSumǁforward (mutmut's name of the function)."""
    return name.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]


@functools.lru_cache(maxsize=None)
def function_text(path, function):
    """The source of mutmut's function ``x_name`` or method ``xǁClassǁname`` in ``path`` (from ROOT), its lines
    stripped and joined by spaces as ``changed_lines`` joins them; "" where the file or the function is missing."""
    if not (ROOT / path).is_file():
        return ""
    text = (ROOT / path).read_text()
    owner, name = function.split("ǁ")[1:] if function.startswith("xǁ") else (None, function[2:])
    body = ast.parse(text).body
    if owner:
        body = next((node.body for node in body if isinstance(node, ast.ClassDef) and node.name == owner), [])
    node = next((node for node in body if isinstance(node, ast.FunctionDef) and node.name == name), None)
    return "" if node is None else " ".join(line.strip() for line in ast.get_source_segment(text, node).split("\n"))


def follow_reasons(reasons, files):
    """The reasons read by hand, each under the file of ``files`` whose function of its name holds the line it
    quotes (its own file first: code moves between files); {old name: new name} of those moved; and the names
    of those whose line stands in none of ``files`` any more (their code has changed: they are left out)."""
    kept, moved, gone = {}, {}, []
    for name, entry in reasons.items():
        function, number = function_of(name), name.rsplit("__mutmut_", 1)[1]
        places = [source_file(name)] + [f for f in files if f != source_file(name)]
        home = next((f for f in places if f in files and entry["line"] in function_text(f, function)), None)
        if home is None:
            gone.append(name)
            continue
        new = f"{home[:-3].replace('/', '.')}.{function}__mutmut_{number}"
        kept[new] = entry
        if new != name:
            moved[name] = new
    return kept, moved, gone


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", nargs="+", default=FILES, help="files to mutate (default: %(default)s)")
    p.add_argument("--tests", nargs="+", default=TESTS, help="test files mutmut may run")
    p.add_argument("--without", nargs="+", default=[], metavar="TEST_FILE",
                   help="leave these test files out (a score 'before' they existed)")
    p.add_argument("--rev", default="HEAD", help="the commit to copy (default HEAD)")
    p.add_argument("--tests-rev", default=None,
                   help="take tests/ from this commit instead (new tests against the same code)")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/minigrad-mutation"))
    p.add_argument("--max-children", type=int, default=2)
    p.add_argument("--sample", type=int, default=0,
                   help="test a seeded random sample of this many mutants per file (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample")
    p.add_argument("--rerun", type=Path, default=None, metavar="SUMMARY",
                   help="test only the survivors listed in an earlier summary (those that still exist)")
    p.add_argument("--out", type=Path, default=None, help="JSON summary (default: WORKDIR/summary.json)")
    p.add_argument("--summarize", action="store_true",
                   help="write the summary of the finished run in --workdir, and run nothing")
    p.add_argument("--report", type=Path, default=None, metavar="SUMMARY",
                   help="write the survivors of an earlier summary to --md by class, and run nothing")
    p.add_argument("--reasons", type=Path, default=ROOT / "docs" / "mutation_reasons.json",
                   help="survivors explained by hand: {mutant: {class, reason, line, change}} (default: %(default)s)")
    p.add_argument("--md", type=Path, default=ROOT / "docs" / "mutation_survivors.md")
    p.add_argument("--follow-reasons", action="store_true",
                   help="after code has moved or changed: rewrite --reasons with each reason under the file that "
                        "holds its function and line, dropping (and listing) those whose line is gone; run nothing")
    args = p.parse_args(argv)
    args.rev = commit_of(args.rev)  # the commit copied, fixed before the run (HEAD may move meanwhile)
    if args.follow_reasons:
        reasons = json.loads(args.reasons.read_text())
        kept, moved, gone = follow_reasons(reasons, args.files)
        args.reasons.write_text(json.dumps(dict(sorted(kept.items())), indent=1, ensure_ascii=False) + "\n")
        print("".join([f"moved: {old} -> {new}\n" for old, new in moved.items()] + [f"dropped: {n}\n" for n in gone])
              + f"{len(kept)} reasons kept ({len(moved)} moved), {len(gone)} dropped: {args.reasons}")
        return kept, moved, gone
    if args.report:
        rows = report(json.loads(args.report.read_text()), args.reasons, args.md)
        print("\n".join(f"{len(items):>5} {cls}" for cls, items in sorted(rows.items(), key=lambda kv: -len(kv[1]))))
        return rows
    workdir = args.workdir.resolve()
    if workdir == ROOT or ROOT in workdir.parents:
        p.error(f"--workdir {workdir} is inside the checkout {ROOT}: mutmut must run on a copy")
    tests = [t for t in args.tests if t not in args.without]

    started = time.time()
    if args.summarize:
        tests, deselect, sample = None, None, None
        names = [n for f in args.files
                 for n in json.loads((workdir / "mutants" / f"{f}.meta").read_text())["exit_code_by_key"]]
        return summarize(args, workdir, names, names, tests, deselect, started)
    if workdir.exists():
        shutil.rmtree(workdir)
    copy_tree(args.rev, workdir)
    if args.tests_rev:
        shutil.rmtree(workdir / "tests")
        copy_tree(args.tests_rev, workdir, "tests")
    tests = [t for t in tests if (workdir / t).exists()]
    deselect = failing_tests(workdir, tests)
    project = (workdir / "pyproject.toml").read_text()
    configure(workdir, args.files, tests, deselect, project)
    names = all_mutants(workdir, args.files)
    blind = failing_tests(workdir / "mutants", tests, deselect)
    if blind:
        deselect += blind
        configure(workdir, args.files, tests, deselect, project)
    if deselect:
        print(f"deselected (failing before any mutation, or blind under mutmut): {' '.join(deselect)}", file=sys.stderr)
    sample = names
    if args.rerun:
        sample = sorted(set(json.loads(args.rerun.read_text())["survivors"]) & set(names))
    elif args.sample:
        rng = random.Random(args.seed)
        sample = sorted(n for f in args.files for n in rng.sample(
            [m for m in names if source_file(m) == f], min(args.sample, sum(source_file(m) == f for m in names))))
    if sample:
        mutmut(workdir, "run", "--max-children", str(args.max_children), *(sample if sample != names else []),
               stdout=subprocess.DEVNULL)
    return summarize(args, workdir, names, sample, tests, deselect, started)


def summarize(args, workdir, names, sample, tests, deselect, started):
    """Per-file counts and every survivor's diff, written to ``--out`` (and printed as a table)."""
    status = {n: s for n, s in results(workdir).items() if n in set(sample) and s != "not checked"}
    per_file = {}
    for f in args.files:
        counts = Counter(s for n, s in status.items() if source_file(n) == f)
        total = sum(counts.values())
        detected = sum(c for s, c in counts.items() if s in DETECTED)
        per_file[f] = {"mutants": total, "of": sum(source_file(n) == f for n in names), **dict(counts),
                       "detected": detected,
                       "score": round(detected / total, 4) if total else None}
    survivors = diffs(workdir, sorted(n for n, s in status.items() if s not in DETECTED))
    summary = {"rev": commit_of(args.rev), "tests_rev": commit_of(args.tests_rev) if args.tests_rev else None,
               "tests": tests, "deselected": deselect, "sample": args.sample, "seed": args.seed,
               "rerun": str(args.rerun) if args.rerun else None,
               "minutes": None if args.summarize else round((time.time() - started) / 60, 1),
               "files": per_file, "survivors": {n: {"status": status[n], "diff": d} for n, d in survivors.items()}}
    out = args.out or workdir / "summary.json"
    out.write_text(json.dumps(summary, indent=1))
    width = max(len(f) for f in per_file) + 2
    # detected = killed + timeout (+ segfault, suspicious); timeouts apart: a mutant that hangs counts as found, but a
    # hang can come from the machine rather than the tests (docs/testing.md)
    print(f"{'file':<{width}}{'tested':>12}{'detected':>9}{'timeout':>8}{'survived':>9}{'no tests':>9}{'score':>7}")
    for f, c in per_file.items():
        tested = f"{c['mutants']}/{c['of']}"
        print(f"{f:<{width}}{tested:>12}{c['detected']:>9}{c.get('timeout', 0):>8}{c.get('survived', 0):>9}"
              f"{c.get('no tests', 0):>9}{c['score'] if c['score'] is not None else '-':>7}")
    print(f"summary with every survivor's diff: {out} ({summary['minutes']} min)")
    return summary


if __name__ == "__main__":
    main()
