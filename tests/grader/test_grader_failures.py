"""A grade is only ever earned: the grader's failures are never recorded as scores.

Whatever fails before a submission's first cell runs (the sandbox, the kernel's start, the
kernel's import of ``course``) or in the grader itself (the judge's socket, the gradebook) is
the grader's: the submission is left *not graded* (no autograder score, so ``export`` and the
report show it as missing, never as 0), the batch goes on, and the run exits non-zero. A
canary (the reference and the blank release as hidden witnesses) guards every ``course grade``
run, and ``python -m course.grader doctor`` checks the machine. Every failure here is real: a
sandbox with too little memory for a kernel to start, a bubblewrap that is not there, socket
paths too long for the judge, a read-only gradebook, a grader whose ``course`` comes from
another folder than the environment's.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import ASSIGNMENTS, ROOT, autograded_part, notebook_path

from course.grader import demo, errors, gradebook, report, steps, submissions
from course.grader.sandbox import bwrap

ASSIGNMENT = ASSIGNMENTS[0]
pytestmark = pytest.mark.skipif(not bwrap.sandbox_available()[0],
                                reason=f"no sandbox here: {bwrap.sandbox_available()[1]}")

# too little address space for a Python kernel to start: the grader's misconfiguration
NO_KERNEL = "--SandboxedKernelManager.memory_bytes=50000000"
SHADOW = 'raise SystemExit("the submission\'s own course package ran")\n'


def _shadowed() -> dict:
    """A submission folder that brings a ``course`` package of its own."""
    return {"course/__init__.py": SHADOW, "course/_sandbox_entry.py": SHADOW,
            "course/checks.py": SHADOW}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """01 graded once for real: reference, blank, and a reference whose folder holds a
    ``course`` package of its own."""
    root = steps.scratch_course(ROOT, ASSIGNMENT, tmp_path_factory.mktemp("failures"))
    reference = submissions.reference_for(root, ASSIGNMENT)
    release = submissions.read(notebook_path(root / "release", ASSIGNMENT))
    submissions.submit(root, ASSIGNMENT, {"reference": reference, "blank": release,
                                          "shadow": reference})
    for name, text in _shadowed().items():
        path = root / "submitted" / "shadow" / ASSIGNMENT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    steps.nbgrader(["autograde", ASSIGNMENT, "--force"], root)
    return root, gradebook.read_scores(root, ASSIGNMENT)


def _not_graded_everywhere(root: Path, students, db_url: str | None = None) -> None:
    """No score for ``students`` in the gradebook, the export or the report."""
    scores = gradebook.read_scores(root, ASSIGNMENT, db_url)
    for student in students:
        assert not scores[student]["graded"], f"{student} kept a score: {scores[student]}"
        assert all(s == 0 for s, _ in scores[student]["cells"].values())
    out = root / "export.csv"
    steps.nbgrader(["export", f"--to={out}"], root)
    rows = {r["student_id"]: r for r in csv.DictReader(out.read_text().splitlines())}
    for student in students:
        assert rows[student]["status"] == "not graded", rows[student]
        assert rows[student]["score"] == "" and rows[student]["raw_score"] == "", rows[student]
    page = report.collect(root, ASSIGNMENT, db_url=db_url)
    assert set(students) <= set(page.not_graded)
    assert not set(students) & {s.student for s in page.students}


def test_a_course_folder_in_a_submission_never_stands_in_for_the_graders(course):
    root, scores = course
    assert scores["shadow"]["graded"]
    shadow = autograded_part(scores["shadow"])
    assert shadow["score"] == shadow["max_score"] > 0, scores["shadow"]
    text = notebook_path(root / "autograded" / "shadow", ASSIGNMENT).read_text()
    assert "own course package ran" not in text


def test_a_kernel_that_does_not_start_is_not_graded_and_fails_the_run(course):
    root, before = course
    assert before["reference"]["graded"] and before["reference"]["score"] > 0
    with pytest.raises(steps.StepFailed) as info:
        steps.nbgrader(["autograde", ASSIGNMENT, "--force", NO_KERNEL], root)
    log = str(info.value)
    assert "GRADER FAILURE: before the submission's first cell ran" in log
    assert "Kernel died before replying to kernel_info" in log
    # the batch went on: every student was tried, and none kept the earlier run's score
    for student in ("reference", "blank", "shadow"):
        assert f"for student '{student}'" in log
    _not_graded_everywhere(root, ["reference", "blank", "shadow"])
    steps.nbgrader(["autograde", ASSIGNMENT, "--force"], root)  # healthy again
    assert gradebook.read_scores(root, ASSIGNMENT) == before


def test_a_sandbox_that_cannot_be_made_is_not_graded(course):
    root, before = course
    with pytest.raises(steps.StepFailed) as info:
        steps.nbgrader(["autograde", ASSIGNMENT, "--force", "--student=reference",
                          "--SandboxedKernelManager.bwrap=/nonexistent/bwrap"], root)
    assert "GRADER FAILURE: the grading sandbox cannot start" in str(info.value)
    _not_graded_everywhere(root, ["reference"])
    steps.nbgrader(["autograde", ASSIGNMENT, "--force", "--student=reference"], root)
    assert gradebook.read_scores(root, ASSIGNMENT)["reference"] == before["reference"]


def test_a_judge_that_cannot_open_its_socket_is_not_graded(course):
    """A temporary folder whose path leaves room for the kernel's sockets (``ipc-1``) but not
    for the judge's (``judge-<12 hex>.sock``) under the 107 bytes of a Unix socket path."""
    root, before = course
    base = Path(tempfile.mkdtemp(prefix="course-long-"))
    tmpdir = base / ("d" * (70 - len(str(base)) - 1))
    tmpdir.mkdir()
    assert len(str(tmpdir)) == 70
    env = dict(os.environ, TMPDIR=str(tmpdir))
    try:
        proc = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "autograde",
                               ASSIGNMENT, "--force", "--student=reference"], cwd=root,
                              env=dict(env, PATH=f"{Path(sys.executable).parent}:{env['PATH']}"),
                              capture_output=True, text=True, timeout=600)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert proc.returncode != 0, proc.stderr[-2000:]
    assert "GRADER FAILURE: the judge could not open its socket" in proc.stderr
    assert "AF_UNIX path too long" in proc.stderr
    _not_graded_everywhere(root, ["reference"])
    steps.nbgrader(["autograde", ASSIGNMENT, "--force", "--student=reference"], root)
    assert gradebook.read_scores(root, ASSIGNMENT)["reference"] == before["reference"]


# -- course grade: the canary, failures listed, a gradebook that cannot be written ----------

def _course_grade(root: Path, *extra):
    return subprocess.run([sys.executable, "-m", "course.grader", "grade", ASSIGNMENT, "--workers",
                           "2", "--no-progress", *extra], cwd=root, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """01 with two students, graded by ``course grade`` (canary included)."""
    root = steps.scratch_course(ROOT, ASSIGNMENT, tmp_path_factory.mktemp("canary"))
    reference = submissions.reference_for(root, ASSIGNMENT)
    release = submissions.read(notebook_path(root / "release", ASSIGNMENT))
    submissions.submit(root, ASSIGNMENT, {"ada": reference, "bob": release})
    proc = _course_grade(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "canary: the reference scored full marks and the blank release zero" in proc.stdout
    scores = gradebook.read_scores(root, ASSIGNMENT)
    assert set(scores) == {"ada", "bob"}, "a witness of the canary is among the students"
    return root, scores


def _broken(root: Path):
    """The course's configuration with a kernel that cannot start, appended for one run."""
    config = root / "nbgrader_config.py"
    healthy = config.read_text()
    config.write_text(healthy + "\nc.SandboxedKernelManager.memory_bytes = 50_000_000\n")
    return config, healthy


def test_the_canary_stops_the_run_before_any_student_is_graded(graded_class):
    root, before = graded_class
    config, healthy = _broken(root)
    try:
        proc = _course_grade(root, "--force")
    finally:
        config.write_text(healthy)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the canary failed" in proc.stderr and "no student was graded" in proc.stderr
    assert "the canary-reference witness was not graded: GRADER FAILURE" in proc.stderr
    assert gradebook.read_scores(root, ASSIGNMENT) == before  # nobody's grade was touched


def test_without_the_canary_each_grader_failure_is_listed_and_not_graded(graded_class):
    root, before = graded_class
    config, healthy = _broken(root)
    try:
        proc = _course_grade(root, "--force", "--no-canary")
    finally:
        config.write_text(healthy)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "0 graded, 0 skipped (unchanged), 2 failed" in proc.stdout
    for student in ("ada", "bob"):
        assert (f"FAILED {student}: GRADER FAILURE: before the submission's first cell ran"
                in proc.stdout), proc.stdout
    _not_graded_everywhere(root, ["ada", "bob"])
    proc = _course_grade(root, "--no-canary")  # healthy again: graded, as they were
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert gradebook.read_scores(root, ASSIGNMENT) == before


def test_a_gradebook_that_cannot_be_written_fails_every_submission(graded_class, tmp_path):
    root, _ = graded_class
    copy = tmp_path / "gradebook.db"
    shutil.copy(root / "gradebook.db", copy)
    steps.nbgrader(["db", "student", "remove", "ada", "--force",
                      f"--CourseDirectory.db_url=sqlite:///{copy}"], root)
    readonly = f"sqlite:///file:{copy}?mode=ro&uri=true"
    proc = _course_grade(root, "--force", "--no-canary", f"--db-url={readonly}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 failed" in proc.stdout and "readonly database" in proc.stdout, proc.stdout
    assert "ada" not in gradebook.read_scores(root, ASSIGNMENT, readonly)


def test_the_demo_grades_nobody_else_when_its_witnesses_fail(tmp_path):
    root = steps.scratch_course(ROOT, ASSIGNMENT, tmp_path / "demo")
    demo.make_submissions(root, ASSIGNMENT)
    _broken(root)
    log = tmp_path / "demo.log"
    with pytest.raises(errors.CanaryFailed) as info:
        demo.autograde_with_canary(root, ASSIGNMENT, log)
    assert "no one else was graded" in str(info.value)
    assert "for student 'typical-mistakes'" not in log.read_text()
    assert "typical-mistakes" not in gradebook.read_scores(root, ASSIGNMENT)


def test_doctor_passes_here_and_names_what_fails(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "course.grader", "doctor", ASSIGNMENT], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for check in ("bubblewrap", "sandbox", "kernel's course", "gradebook",
                  f"canary {ASSIGNMENT}"):
        assert any(ln.startswith("ok") and check in ln for ln in lines), proc.stdout
    assert any("bound memory_bytes" in ln for ln in lines), proc.stdout
    root = steps.scratch_course(ROOT, ASSIGNMENT, tmp_path / "broken")
    with open(root / "nbgrader_config.py", "a") as fh:
        fh.write("\nc.SandboxedKernelManager.bwrap = '/nonexistent/bwrap'\n")
    proc = subprocess.run([sys.executable, "-m", "course.grader", "doctor", ASSIGNMENT], cwd=root,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  bubblewrap" in proc.stdout and "/nonexistent/bwrap not found" in proc.stdout
    assert f"FAIL  canary {ASSIGNMENT}" in proc.stdout
    assert "ok    gradebook" in proc.stdout


# -- the kernel imports the course the grader imported ---------------------------------------

PROBE = """
import json, os, tempfile
import nbformat
import course
from course.grader.preprocessors.execute import SandboxedExecute

cell = nbformat.v4.new_code_cell("import course, os; print(os.path.dirname(course.__file__))")
nb = nbformat.v4.new_notebook(cells=[cell])
work = tempfile.mkdtemp(prefix="course-probe-")
nb, _ = SandboxedExecute(timeout=120).preprocess(nb, {"metadata": {"path": work}})
outs = nb.cells[0].outputs
print(json.dumps({"grader": os.path.dirname(os.path.realpath(course.__file__)),
                  "kernel": outs[0].get("text", "").strip() if outs else repr(outs)}))
"""


def _location(kind: str, base: Path) -> Path:
    if kind == "tmp":
        return base / "course-under-tmp"
    if kind == "space":
        return base / "a course folder"
    return Path(tempfile.mkdtemp(prefix="course-test-", dir="/root")) / "c"  # /root is 0700


def _light_env(where: Path) -> tuple[Path, Path]:
    """A venv at ``where`` that also sees the project's packages, ``.pth`` files included, and
    so the project's own editable ``course``, which resolves to this checkout: another
    ``course`` than the one under test. Returns its python and its site-packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    own = where / "lib" / "python3.11" / "site-packages"
    (own / "project.pth").write_text(f"import site; site.addsitedir({str(site)!r})\n")
    return where / "bin" / "python", own


def _install(folder: Path, site: Path, editable: bool) -> None:
    """Install ``folder/course`` into ``site`` as pip does (pip cannot build a wheel offline
    here): a regular install puts the package into site-packages; an editable one writes
    setuptools' own ``__editable__`` finder and ``.pth`` file, pointing at ``folder``."""
    if not editable:
        shutil.copytree(folder / "course", site / "course")
        return
    ours = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    finder = next(ours.glob("__editable___course_*_finder.py"))
    text = finder.read_text()
    mapping = f"MAPPING: dict[str, str] = {{'course': {str(folder / 'course')!r}}}"
    assert "MAPPING: dict[str, str] = {'course':" in text
    lines = [mapping if ln.startswith("MAPPING:") else ln for ln in text.splitlines()]
    (site / finder.name).write_text("\n".join(lines) + "\n")
    (site / f"__editable__.{finder.stem.split('___')[1].rsplit('_finder')[0]}.pth").write_text(
        f"import {finder.stem}; {finder.stem}.install()")


@pytest.mark.parametrize("location", ["tmp", "root", "space"])
@pytest.mark.parametrize("setup", ["editable", "regular", "pythonpath", "working-folder"])
def test_the_kernel_imports_the_course_the_grader_imported(setup, location, tmp_path):
    if location == "root" and not os.access("/root", os.W_OK):
        pytest.skip("needs to write under /root")
    folder = _location(location, tmp_path)
    folder.mkdir(parents=True)
    try:
        shutil.copytree(ROOT / "course", folder / "course",
                        ignore=shutil.ignore_patterns("__pycache__"))
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        python, cwd = Path(sys.executable), tmp_path
        if setup in ("editable", "regular"):
            python, site = _light_env(folder / "env")
            _install(folder, site, editable=setup == "editable")
        elif setup == "pythonpath":
            env["PYTHONPATH"] = str(folder)
        else:
            cwd = folder
        proc = subprocess.run([str(python), "-c", PROBE], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        found = __import__("json").loads(proc.stdout.strip().splitlines()[-1])
        if setup == "regular":
            expected = folder / "env" / "lib" / "python3.11" / "site-packages" / "course"
        else:
            expected = folder / "course"
        assert found["grader"] == str(expected.resolve()), found
        assert found["kernel"] == found["grader"], found
    finally:
        if location == "root":
            shutil.rmtree(folder.parent, ignore_errors=True)
