"""The grader without the sandbox: what a contributor without bubblewrap still runs.

Grading with ``--SandboxedExecute.sandbox=off`` keeps everything else of the grader: nbgrader's
plug-ins, the judge (hidden tests outside the kernel, over its Unix socket), the gradebook's
one transaction. These tests need no bubblewrap; the sandbox's own tests skip without it.
"""

from __future__ import annotations

import pytest
from conftest import ASSIGNMENTS, MISTAKES, ROOT, autograded_part, notebook_path

from course.grader import cells, gradebook, steps, submissions

ASSIGNMENT = ASSIGNMENTS[0]
OFF = "--SandboxedExecute.sandbox=off"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = steps.scratch_course(ROOT, ASSIGNMENT, tmp_path_factory.mktemp("unsandboxed"))
    reference = submissions.reference_for(root, ASSIGNMENT)
    mistake = MISTAKES[ASSIGNMENT][0]
    submissions.submit(root, ASSIGNMENT, {
        "reference": reference,
        "blank": submissions.read(notebook_path(root / "release", ASSIGNMENT)),
        mistake.student: submissions.apply_mistake(reference, mistake)})
    log = steps.nbgrader(["autograde", ASSIGNMENT, "--force", OFF], root)
    return root, log, gradebook.read_scores(root, ASSIGNMENT), mistake


def test_every_submission_is_graded_without_the_sandbox_and_says_so(graded):
    root, log, scores, _ = graded
    assert "graded WITHOUT the sandbox" in log
    for student in scores:
        nb = submissions.read(notebook_path(root / "autograded" / student, ASSIGNMENT))
        record = nb.metadata[cells.GRADING_KEY]
        assert record[cells.SANDBOX] == "off" and record[cells.JUDGE] == "grader", record


def test_the_judge_gives_the_reference_full_marks_and_the_blank_zero(graded):
    _, _, scores, _ = graded
    reference = autograded_part(scores["reference"])
    assert reference["score"] == reference["max_score"] > 0
    assert scores["blank"]["score"] == 0


def test_a_typical_mistake_loses_its_exercise_only(graded):
    root, _, scores, mistake = graded
    layout = cells.exercises(submissions.read(notebook_path(root / "source", ASSIGNMENT)))
    lost = {cell for cell, (score, top) in scores[mistake.student]["cells"].items()
            if score < top}
    assert lost and lost <= set(layout[mistake.function]["tests"]), (mistake.name, lost)


def test_hidden_tests_were_judged_in_the_grader(graded):
    root, _, _, _ = graded
    nb = submissions.read(notebook_path(root / "autograded" / "reference", ASSIGNMENT))
    judged = [c for c in nb.cells if cells.JUDGE_SECONDS in c.metadata.get(cells.GRADING_KEY, {})]
    assert judged, "no test cell was judged outside the kernel"


def test_the_sandboxs_kernel_gets_only_the_variables_meant_for_it():
    """The kernel starts from an empty environment; of the grader's, only what
    ``bwrap.FORWARDED_ENV`` names reaches it (the no-figures switch of course.widgets)."""
    from course import widgets
    from course.grader.sandbox import bwrap

    assert widgets.FIGURES_ENV in bwrap.FORWARDED_ENV
    cmd = bwrap.sandbox_command(
        ["python", "-m", "ipykernel_launcher", "-f", "/tmp/k/kernel.json"], cwd="/tmp/k",
        socket_dir="/tmp/k", limits={}, forwarded={widgets.FIGURES_ENV: "off",
                                                   "GRADER_SECRET": "x", "HOME": "/root"})
    pairs = {(cmd[i + 1], cmd[i + 2]) for i, arg in enumerate(cmd) if arg == "--setenv"}
    assert (widgets.FIGURES_ENV, "off") in pairs
    assert not {name for name, _ in pairs} & {"GRADER_SECRET"}
    assert ("HOME", "/tmp/home") in pairs
    assert "--clearenv" in cmd
