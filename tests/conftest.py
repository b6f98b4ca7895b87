"""Shared fixtures: one real nbgrader run per assignment, reused by every test of it.

For each assignment in ``source/`` the ``graded`` fixture builds a scratch course
folder, runs ``nbgrader generate_assignment`` there, submits the reference
solution, the untouched release, one student per typical mistake and one per
correct variant, grades them all in a single ``nbgrader autograde`` run and
reads the gradebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from course.grader import cells, gradebook, steps, submissions
from course.grader.coursedir import Course, notebook_path

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = Course.at(ROOT).assignments
MISTAKES = {a: submissions.load_mistakes(ROOT / "source" / a)[0] for a in ASSIGNMENTS}
VARIANTS = {a: submissions.load_variants(ROOT / "source" / a) for a in ASSIGNMENTS}
SCREENSHOTS = ROOT / "build" / "screenshots"  # written by the browser tests


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")


@dataclass
class GradedRun:
    """What one autograde run of an assignment produced."""

    assignment: str
    root: Path  # the scratch course folder
    scores: dict  # gradebook.read_scores(...)
    exercises: dict  # cells.exercises(source notebook)
    failures: dict = field(default_factory=dict)  # student -> {grade_id: reason}

    def why(self, student: str) -> str:
        """Each failing grade cell of ``student`` with its error, one per line."""
        if student not in self.failures:
            path = notebook_path(self.root / "autograded" / student, self.assignment)
            self.failures[student] = steps.cell_failures(path)
        return "\n".join(f"  {cell}: {reason}" for cell, reason in self.failures[student].items())


def _grade(assignment: str, scratch: Path) -> GradedRun:
    steps.scratch_course(ROOT, assignment, scratch)
    release = submissions.read(notebook_path(scratch / "release", assignment))
    source = submissions.read(notebook_path(scratch / "source", assignment))
    reference = submissions.reference_submission(release, source)
    students = {"reference": reference, "blank": release}
    for edit in MISTAKES[assignment] + VARIANTS[assignment]:
        students[edit.student] = submissions.apply_mistake(reference, edit)
    submissions.submit(scratch, assignment, students)
    steps.nbgrader(["autograde", assignment, "--force"], scratch)
    return GradedRun(assignment, scratch, gradebook.read_scores(scratch, assignment),
                     cells.exercises(source))


def serial_class(run: GradedRun, students: list[str]) -> tuple[dict, dict]:
    """``({student: submitted notebook}, {student: score})`` of ``students`` of ``run``: a
    class to grade again some other way, and the scores plain serial ``nbgrader autograde``
    gave it (each student's scores depend on their own notebook only)."""
    notebooks = {s: submissions.read(notebook_path(run.root / "submitted" / s, run.assignment))
                 for s in students}
    return notebooks, {s: run.scores[s] for s in students}


def autograded_part(entry: dict) -> dict:
    """A ``gradebook.read_scores`` entry with ``score`` and ``max_score`` summed over the
    autograded cells only: written answers wait for a person, whoever the student is."""
    cells = entry["cells"].values()
    return {**entry, "score": sum(s for s, _ in cells), "max_score": sum(m for _, m in cells)}


class _Runs:
    def __init__(self, factory):
        self._factory = factory
        self._done: dict[str, GradedRun] = {}

    def __getitem__(self, assignment: str) -> GradedRun:
        if assignment not in self._done:
            self._done[assignment] = _grade(assignment, self._factory.mktemp(assignment))
        return self._done[assignment]


@pytest.fixture(scope="session")
def graded(tmp_path_factory) -> _Runs:
    """``graded[assignment]`` is that assignment's :class:`GradedRun` (made on first use)."""
    return _Runs(tmp_path_factory)
