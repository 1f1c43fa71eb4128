"""scripts/mutation.py on the current layout, without a mutation run: the files and tests it names exist, every
reason recorded by hand (docs/mutation_reasons.json) quotes a line of the function it names, and --report finds
a reason by that code, not by the mutant's name."""
import json
from pathlib import Path

import pytest

from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
mutation = load_script("mutation")
REASONS = json.loads((ROOT / "docs" / "mutation_reasons.json").read_text())


def test_the_files_to_mutate_and_the_tests_to_run_exist():
    assert not [f for f in mutation.FILES + mutation.TESTS if not (ROOT / f).is_file()]
    # the layers' math is all there: every Function family and every op family
    for package in ("minigrad/ops", "minigrad/nn/_functions", "minigrad/nn/modules", "minigrad/core"):
        files = {p.relative_to(ROOT).as_posix() for p in (ROOT / package).glob("*.py") if p.name != "__init__.py"}
        assert files <= set(mutation.FILES), package


def problem(name, entry):
    """What is wrong with a recorded reason, or None."""
    path, function = mutation.source_file(name), mutation.function_of(name)
    if not (entry["class"] and entry["reason"] and entry["line"] != entry["change"]):
        return f"{name}: a class, a reason, and a change that differs from the line"
    if path not in mutation.FILES:
        return f"{name}: {path} is not among the files the tool mutates"
    text = mutation.function_text(path, function)
    if not text:
        return f"{name}: no {function} in {path}"
    if entry["line"] not in text:
        return f"{name}: the line it quotes is not in {function} of {path} any more: {entry['line']}"
    return None


@pytest.mark.parametrize("name", sorted(REASONS))
def test_each_reason_quotes_a_line_of_the_function_it_names(name):
    found = problem(name, REASONS[name])
    assert found is None, (f"{found}; `python scripts/mutation.py --follow-reasons` moves a reason to the file that "
                           "holds its code now, or drops it (read the mutant again at the next run)")


def test_a_reason_that_lost_its_code_is_reported():
    name, entry = next(iter(REASONS.items()))
    module, mutant = name.rsplit(".", 1)
    assert "not among the files" in problem(f"minigrad.ops.{mutant}", entry)  # the old ops.py
    assert "no x_no_such_function in" in problem(f"{module}.x_no_such_function__mutmut_1", entry)
    assert "not in" in problem(name, {**entry, "line": entry["line"] + " + 1"})


def test_follow_reasons_moves_a_reason_to_the_file_that_holds_its_code_and_drops_one_whose_line_is_gone():
    assert mutation.follow_reasons(REASONS, mutation.FILES) == (REASONS, {}, [])
    (name, entry), (other, changed) = list(REASONS.items())[:2]
    misplaced = "minigrad.optim." + name.rsplit(".", 1)[1]  # a file of FILES without that function
    kept, moved, gone = mutation.follow_reasons({misplaced: entry, other: {**changed, "line": "x = 1"}},
                                                mutation.FILES)
    assert (kept, moved, gone) == ({name: entry}, {misplaced: name}, [other])


def test_report_finds_a_reason_by_its_code_wherever_the_function_moved(tmp_path):
    name, entry = next(iter(REASONS.items()))
    moved = "minigrad.elsewhere." + name.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0] + "__mutmut_999"
    diff = f"--- f\n+++ f\n@@ -1 +1 @@\n-    {entry['line']}\n+    {entry['change']}"
    other = "--- f\n+++ f\n@@ -1 +1 @@\n-    y = x + 1\n+    y = x - 1"
    summary = {"rev": "0" * 40, "files": {"minigrad/elsewhere.py": {}},
               "survivors": {moved: {"status": "survived", "diff": diff},
                             "minigrad.elsewhere.x_f__mutmut_1": {"status": "survived", "diff": other}}}
    rows = mutation.report(summary, ROOT / "docs" / "mutation_reasons.json", tmp_path / "survivors.md")
    assert rows[entry["class"]] == [(moved, entry["change"].replace("|", "\\|")[:150], entry["reason"])]
    assert rows["not explained"] == [("minigrad.elsewhere.x_f__mutmut_1", "y = x - 1", "")]
    written = (tmp_path / "survivors.md").read_text()
    assert "2 survivors: 0 sorted by a rule, 1 read by hand, 1 not explained." in written


def test_the_summary_shows_timeouts_apart_from_the_other_detected_mutants(tmp_path, monkeypatch, capsys):
    """A timeout counts as detected (mutmut's rule) but is shown in its own column and kept in the JSON, so that a
    score made of hangs can be told from one made of failing tests."""
    statuses = {"killed": 3, "timeout": 2, "survived": 1, "no tests": 1}
    names = [f"minigrad.elsewhere.x_f__mutmut_{i}" for i in range(sum(statuses.values()))]
    status = dict(zip(names, [s for s, n in statuses.items() for _ in range(n)]))
    monkeypatch.setattr(mutation, "results", lambda workdir: status)
    monkeypatch.setattr(mutation, "diffs", lambda workdir, survivors: {n: "diff" for n in survivors})
    args = mutation.argparse.Namespace(files=["minigrad/elsewhere.py"], rev="HEAD", tests_rev=None, sample=0, seed=0,
                                       rerun=None, summarize=True, out=tmp_path / "summary.json")
    summary = mutation.summarize(args, tmp_path, names, names, [], [], 0.0)
    counts = summary["files"]["minigrad/elsewhere.py"]
    assert (counts["detected"], counts["timeout"], counts["killed"], counts["score"]) == (5, 2, 3, round(5 / 7, 4))
    assert sorted(summary["survivors"]) == names[5:]
    header, row = capsys.readouterr().out.splitlines()[:2]
    assert header.split() == ["file", "tested", "detected", "timeout", "survived", "no", "tests", "score"]
    assert row.split() == ["minigrad/elsewhere.py", "7/7", "5", "2", "1", "1", str(round(5 / 7, 4))]
