"""The main job, the command line, the submissions builder and the lint gate."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import nbformat
import pytest
from conftest import ASSIGNMENTS, ROOT

from course.grader import cells, demo, gradebook, submissions


def _course_copy(dest):
    for name in ("nbgrader_config.py",):
        shutil.copy(ROOT / name, dest)
    for name in ("source", "release"):
        shutil.copytree(ROOT / name, dest / name)
    (dest / "autograded").mkdir()
    return dest


def _run(args, cwd, timeout=600):
    return subprocess.run([sys.executable, "-m", "course.grader", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def test_demo_builds_grades_and_reports(tmp_path):
    """``python -m course.grader demo`` on a copy of the course: table, CSV and feedback."""
    root = _course_copy(tmp_path)
    asg = ASSIGNMENTS[0]
    proc = _run(["demo", asg], root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    source = submissions.read(root / "source" / asg / f"{asg}.ipynb")
    total = sum(e["points"] for e in cells.exercises(source).values())
    written = cells.written(source)
    total += sum(w["points"] for w in written.values())
    rows = {line.split()[0]: line for line in proc.stdout.splitlines() if line.strip()}
    assert f"{total:g} / {total:g}" in rows["reference"]
    assert f"0 / {total:g}" in rows["blank"]
    mistakes_score = float(rows["typical-mistakes"].split()[1])
    assert 0 < mistakes_score < total
    # the demo's instructor graded every written answer (the model answers), so no score
    # is marked as waiting for one
    scores = gradebook.read_scores(root, asg)
    for student in ("reference", "typical-mistakes"):
        assert scores[student]["to_grade"] == []
        assert scores[student]["written"] == {q: (w["points"], w["points"])
                                              for q, w in written.items()}
    assert "written answers wait" not in proc.stdout
    csv = (root / "grades.csv").read_text().splitlines()
    assert csv[0].startswith("assignment,") and len(csv) == 1 + len(demo.STUDENTS)
    for student in demo.STUDENTS:
        page = root / "feedback" / student / asg / f"{asg}.html"
        assert page.is_file(), page
    assert "<img" in (root / "feedback" / "reference" / asg / f"{asg}.html").read_text()
    assert str(root / "grades.csv") in proc.stdout

    # the source changed after submissions were graded: nbgrader refuses, the demo says why
    path = root / "source" / asg / f"{asg}.ipynb"
    nb = submissions.read(path)
    added = nbformat.v4.new_code_cell('"""Check a test added after grading."""')
    added.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                  "grade_id": "added_after_grading", "schema_version": 3}
    nb.cells.append(added)
    submissions.write(nb, path)
    again = _run(["demo", asg], root)
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"demo failed at step 'generate {asg}'" in again.stderr
    assert "holds submissions of an earlier version" in again.stderr
    assert "remove gradebook.db, submitted/ and autograded/" in again.stderr


def test_demo_reports_a_failing_step_and_exits_non_zero(tmp_path):
    root = _course_copy(tmp_path)
    asg = ASSIGNMENTS[0]
    (root / "source" / asg / f"{asg}.ipynb").write_text("{ not a notebook")
    proc = _run(["demo", asg], root)
    assert proc.returncode == 1
    assert f"demo failed at step 'generate {asg}'" in proc.stderr
    assert "full log:" in proc.stderr


def test_demo_refuses_a_folder_that_is_not_a_course(tmp_path):
    proc = _run(["demo", "--root", str(tmp_path)], ROOT)
    assert proc.returncode == 2 and "not a course folder" in proc.stderr
    proc = _run(["demo", "99-nope"], ROOT)
    assert proc.returncode == 2 and "no such assignment" in proc.stderr


def test_help_is_quick_and_lists_demo():
    start = time.perf_counter()
    proc = _run(["--help"], ROOT, timeout=60)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0 and "demo" in proc.stdout
    print(f"python -m course.grader --help took {elapsed:.2f} s")


def test_apply_mistake_requires_a_unique_match():
    asg = ASSIGNMENTS[0]
    nb = submissions.read(ROOT / "source" / asg / f"{asg}.ipynb")
    fn = next(iter(cells.exercises(nb)))
    with pytest.raises(ValueError, match="occurs 0 times"):
        submissions.apply_mistake(nb, submissions.Mistake("x", fn, "no such text", "", ""))
    with pytest.raises(ValueError, match="no solution cell"):
        submissions.apply_mistake(nb, submissions.Mistake("x", "nope", "a", "b", ""))


def test_strip_solution_keeps_the_students_lines_only():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert cells.strip_solution(src) == "def f(x):\n    return x\n"


def test_course_package_implements_no_graded_function():
    import ast

    graded = set()
    for asg in ASSIGNMENTS:
        graded |= set(cells.exercises(
            submissions.read(ROOT / "source" / asg / f"{asg}.ipynb")))
    for path in (ROOT / "course").glob("*.py"):
        defined = {n.name for n in ast.walk(ast.parse(path.read_text()))
                   if isinstance(n, ast.FunctionDef)}
        assert not defined & graded, f"{path.name} defines graded functions {defined & graded}"


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    proc = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_load_variants_reads_correct_answers_apart_from_mistakes(tmp_path):
    (tmp_path / "mistakes.py").write_text(
        "from course.grader.submissions import Mistake, Variant\n"
        "MISTAKES = [Mistake('m', 'f', 'a', 'b', 'wrong')]\n"
        "VARIANTS = [Variant('v', 'f', 'a', 'c', 'right too')]\n")
    variants = submissions.load_variants(tmp_path)
    assert [(v.name, v.student) for v in variants] == [("v", "variant-v")]
    assert [m.student for m in submissions.load_mistakes(tmp_path)[0]] == ["mistake-m"]
    (tmp_path / "mistakes.py").write_text(
        "from course.grader.submissions import Mistake\n"
        "VARIANTS = [Mistake('m', 'f', 'a', 'b', 'w')]\n")
    with pytest.raises(ValueError, match="Variant"):
        submissions.load_variants(tmp_path)
    (tmp_path / "mistakes.py").write_text(
        "from course.grader.submissions import Variant\n"
        "MISTAKES = [Variant('v', 'f', 'a', 'b', 'w')]\n")
    with pytest.raises(ValueError, match="VARIANTS"):
        submissions.load_mistakes(tmp_path)
    assert submissions.load_variants(tmp_path / "nowhere") == []
