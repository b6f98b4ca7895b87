"""The course's reading of nbgrader's gradebook: which submissions the autograder scored,
which written answers wait for a person, and every submission's scores.

:class:`~course.grader.preprocessors.forget.ForgetAutoGrades` empties a notebook's autograder
scores before it runs and :class:`~course.grader.preprocessors.save_at_once.
SaveAutoGradesAtOnce` writes the new ones in one transaction at its end, so a grading run that
fails (the grader's failure, see :mod:`course.grader.errors`) leaves the notebook *not graded*.
:func:`autograded` is the one test of that state, used by the score reader, the export and
the report.
"""
from __future__ import annotations

from pathlib import Path

from course.grader.coursedir import Course

__all__ = ["autograded", "is_written", "read_scores", "to_grade"]


def autograded(submission) -> bool:
    """Has the autograder scored every code cell of this submitted assignment? A submission
    whose grading failed, or is under way, or whose worker was killed, has not. (Written
    answers are not the autograder's: see :func:`to_grade`.)"""
    grades = [g for nb in submission.notebooks for g in nb.grades]
    code = [g for g in grades if not is_written(g)]
    return bool(grades) and all(g.auto_score is not None for g in code)


def is_written(grade) -> bool:
    """Is this grade a written answer (a markdown answer cell that a person grades)?"""
    return grade.cell.cell_type != "code"


def to_grade(submission) -> list[str]:
    """The written answers of this submitted assignment still waiting for a person's grade:
    answered (nbgrader gave no automatic zero for an untouched cell) and not graded by hand."""
    return [g.name for nb in submission.notebooks for g in nb.grades
            if is_written(g) and g.manual_score is None and g.auto_score is None]


def read_scores(root: Path, assignment: str, db_url: str | None = None) -> dict[str, dict]:
    """Scores of every autograded submission of ``assignment`` in the gradebook (the course's
    own, or the one at ``db_url``).

    Returns ``{student: {"score": float, "max_score": float, "graded": bool,
    "cells": {grade_id: (score, max_score)}, "written": {grade_id: (score, max_score)},
    "to_grade": [grade_id, ...]}}``. ``cells`` holds the autograded test cells; ``written``
    the written answers, graded by a person (``score`` is None while one waits, and
    ``to_grade`` lists those, sorted: databases return rows in orders of their own);
    ``score`` is nbgrader's sum, in which a written answer still
    to grade counts 0. ``graded`` is False for a submission the autograder has not scored
    (its grading failed or never finished): its ``score`` is then no grade at all, whatever
    nbgrader's sum says.
    """
    out: dict[str, dict] = {}
    with Course.at(root, db_url).gradebook() as gb:
        for sub in gb.assignment_submissions(assignment):
            waiting = to_grade(sub)
            cells: dict[str, tuple[float, float]] = {}
            written: dict[str, tuple[float | None, float]] = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if is_written(grade):
                        score = None if grade.name in waiting else float(grade.score)
                        written[grade.name] = (score, float(grade.max_score))
                    else:
                        cells[grade.name] = (float(grade.score), float(grade.max_score))
            out[sub.student_id] = {"score": float(sub.score), "max_score": float(sub.max_score),
                                   "graded": autograded(sub), "cells": cells,
                                   "written": written, "to_grade": sorted(waiting)}
    return out
