"""Shared fixtures: one real nbgrader run per assignment, reused by every test of it.

For each assignment in ``source/`` the ``graded`` fixture builds a scratch course
folder, runs ``nbgrader generate_assignment`` there, submits the reference
solution, the untouched release, one student per typical mistake and one per
correct variant, grades them all in a single ``nbgrader autograde`` run (without
drawing figures, which decide no score) and reads the gradebook.
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

    def misconceptions(self, student: str) -> dict:
        """The grader's verdict on each failing exercise of ``student`` (the ``misconceptions``
        record of its autograded notebook: :mod:`course.grader.misconceptions`)."""
        nb = submissions.read(notebook_path(self.root / "autograded" / student, self.assignment))
        return dict(nb.metadata.get(cells.GRADING_KEY, {}).get(cells.MISCONCEPTIONS, {}))


def _grade(assignment: str, scratch: Path) -> GradedRun:
    steps.scratch_course(ROOT, assignment, scratch)
    release = submissions.read(notebook_path(scratch / "release", assignment))
    source = submissions.read(notebook_path(scratch / "source", assignment))
    reference = submissions.reference_submission(release, source)
    students = {"reference": reference, "blank": release}
    for edit in MISTAKES[assignment] + VARIANTS[assignment]:
        students[edit.student] = submissions.apply_mistake(reference, edit)
    submissions.submit(scratch, assignment, students)
    # figures drawn or not change no score; not drawing them halves the notebooks' run time
    # (the demo's grading, the canary and the browser tests draw them)
    steps.nbgrader(["autograde", assignment, "--force", "--SandboxedExecute.draw_figures=False"],
                   scratch)
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


# -- how the two pytest-xdist workers share the suite -------------------------------------------
#
# pyproject.toml runs pytest-xdist with --dist loadgroup. Every test is put in a group, which a
# worker runs whole: its module's, or its class's (as --dist loadscope would), so a module's or a
# class's fixtures are made once. A module that reports on an assignment's graded class (the
# report's tests) joins that class's group: the assignment is graded once for both. Groups go
# out heaviest first (a long one started last would leave the other worker idle at the end):
# the groups that grade many submissions, by their number of submissions, then the rest.

HEAVY = {  # seconds a group takes on this machine, roughly: the order, not a limit
    "tests/e2e/test_browser.py": 450, "tests/grader/test_grade.py": 400,
    "tests/grader/test_cluster.py": 200, "tests/grader/test_export.py": 60,
    "tests/grader/test_sandbox.py": 300, "tests/grader/test_grader_failures.py": 250,
    "tests/e2e/test_demo_and_tools.py": 120, "tests/e2e/test_exchange.py": 80,
    "tests/student/test_student_distribution.py": 60, "tests/grader/test_unsandboxed.py": 40,
}
SECONDS_PER_SUBMISSION = 4  # graded without figures


def graded_group(assignment: str) -> str:
    """The group of the tests that use ``graded[assignment]``."""
    return f"graded-{assignment}"


def _group(item) -> str:
    marker = item.get_closest_marker("xdist_group")
    if marker is not None:
        return marker.args[0]
    assignment = getattr(item.cls, "ASSIGNMENT", None)
    if assignment:
        return graded_group(assignment)
    module = item.nodeid.split("::")[0]
    return module if item.cls is None else f"{module}::{item.cls.__name__}"


def _weight(group: str, modules: set[str]) -> float:
    """Rough seconds of a group: its graded run, if any, and its heavy modules."""
    own = sum(HEAVY.get(m, 0) for m in modules)
    if group.startswith("graded-"):
        a = group.removeprefix("graded-")
        return own + SECONDS_PER_SUBMISSION * (2 + len(MISTAKES[a]) + len(VARIANTS[a]))
    return own


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    groups = {id(item): _group(item) for item in items}
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(groups[id(item)]))
    # a stable sort: within a group, and among light groups, the collection order stays
    order = {g: i for i, g in enumerate(dict.fromkeys(groups.values()))}
    modules: dict[str, set[str]] = {}
    for item in items:
        modules.setdefault(groups[id(item)], set()).add(item.nodeid.split("::")[0])
    weight = {g: _weight(g, modules[g]) for g in order}
    items.sort(key=lambda item: (-weight[groups[id(item)]], order[groups[id(item)]]))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    """Under ``--dist loadgroup`` pytest-xdist tags each collected test's id with its group
    (``id@group``). A pytest it cannot tag (9.x) would silently make every test its own group:
    fixtures made twice, modules interleaved. Stop instead."""
    if not getattr(session.config.option, "loadgroup", False) or not session.items:
        return
    untagged = [item.nodeid for item in session.items if "@" not in item.nodeid]
    if untagged:
        raise pytest.UsageError(
            f"pytest-xdist did not put {untagged[0]} in its group (pytest {pytest.__version__}): "
            "install the versions of requirements.txt")
