"""``python -m course grade``: submissions graded in parallel on a Dask LocalCluster.

The same submissions are graded twice in one scratch course: once by plain serial
``nbgrader autograde`` (the reference for the scores), then by ``course grade`` with two
workers into a second course; the gradebooks must agree cell by cell. A second
``course grade`` run grades nothing, since nothing changed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ASSIGNMENTS, MISTAKES, ROOT, notebook_path

from course import grading, sandbox, submissions

ASSIGNMENT = ASSIGNMENTS[0]
pytestmark = pytest.mark.skipif(not sandbox.sandbox_available()[0],
                                reason=f"no sandbox here: {sandbox.sandbox_available()[1]}")


def _course(dest, students):
    root = grading.scratch_course(ROOT, ASSIGNMENT, dest)
    for student, nb in students.items():
        submissions.write(nb, notebook_path(root / "submitted" / student, ASSIGNMENT))
    return root


@pytest.fixture(scope="module")
def two_courses(tmp_path_factory):
    serial = grading.scratch_course(ROOT, ASSIGNMENT, tmp_path_factory.mktemp("serial"))
    reference = submissions.reference_for(serial, ASSIGNMENT)
    release = submissions.read(notebook_path(serial / "release", ASSIGNMENT))
    students = {"reference": reference, "blank": release}
    for mistake in MISTAKES[ASSIGNMENT][:3]:
        students[mistake.student] = submissions.apply_mistake(reference, mistake)
    for student, nb in students.items():
        submissions.write(nb, notebook_path(serial / "submitted" / student, ASSIGNMENT))
    grading.nbgrader(["autograde", ASSIGNMENT, "--force"], serial)
    parallel = _course(tmp_path_factory.mktemp("parallel"), students)
    run = _grade(parallel)
    return serial, parallel, run


def _grade(root, *extra):
    return subprocess.run([sys.executable, "-m", "course", "grade", ASSIGNMENT, "--workers", "2",
                           "--no-progress", *extra], cwd=root, capture_output=True, text=True,
                          timeout=600)


def test_two_workers_give_the_scores_of_serial_autograde(two_courses):
    serial, parallel, run = two_courses
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 graded, 0 skipped (unchanged), 0 failed" in run.stdout
    assert grading.read_scores(parallel, ASSIGNMENT) == grading.read_scores(serial, ASSIGNMENT)


def test_a_rerun_grades_nothing_new_unless_forced_or_changed(two_courses):
    _, parallel, _ = two_courses
    again = _grade(parallel)
    assert again.returncode == 0 and "0 graded, 5 skipped" in again.stdout, again.stdout
    path = notebook_path(parallel / "submitted" / "blank", ASSIGNMENT)
    path.write_text(path.read_text().replace("YOUR CODE HERE", "YOUR CODE HERE (edited)", 1))
    changed = _grade(parallel)
    assert "1 graded, 4 skipped" in changed.stdout, changed.stdout
