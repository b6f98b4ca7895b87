"""The course's use of nbgrader's gradebook: where it is, and writing a notebook's grades at once.

nbgrader's ``SaveAutoGrades`` commits after every graded cell, so a grading process killed
while it saves (a worker lost, a machine stopped) leaves a submission with some cells
graded anew and the others still holding the previous run's scores. :class:`SaveAutoGradesAtOnce`
writes the same rows but commits them in one transaction at the end of the notebook: the
gradebook holds either all of the new scores or none of them.

:class:`ForgetAutoGrades` runs first: it empties the notebook's autograder scores before any
of it runs, so a grading run that fails (the grader's failure, see
:mod:`course.grader.errors`) leaves the notebook *not graded*, never with a score it did not
earn in this run, not even a previous run's. :func:`autograded` is the one test of that
state, used by the score reader, the export and the report.
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

__all__ = ["ForgetAutoGrades", "SaveAutoGradesAtOnce", "autograded", "db_url",
           "default_db_url", "is_written", "to_grade"]


def default_db_url(root: Path) -> str:
    """nbgrader's default SQLite gradebook in ``root``, with a 60 s busy timeout so concurrent
    graders wait for each other's writes instead of failing with 'database is locked'."""
    return f"sqlite:///{Path(root).resolve() / 'gradebook.db'}?timeout=60"


def db_url(root: Path, given: str | None = None) -> str:
    """``given``, else ``CourseDirectory.db_url`` of the course's config, else the default."""
    if given:
        return given
    from course.grading import course_config

    return course_config(root).CourseDirectory.get("db_url") or default_db_url(root)


class _OneTransaction:
    """A session whose ``commit`` only flushes: the caller commits once, at the end."""

    def __init__(self, session):
        self._session = session

    def commit(self) -> None:
        self._session.flush()

    def __getattr__(self, name):
        return getattr(self._session, name)


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades``, committing all of a notebook's grades in one transaction."""

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook:
            session = self.gradebook.db
            self.gradebook.db = _OneTransaction(session)
            try:
                # nbgrader's per-cell _add_score/_add_comment, committing nothing yet
                nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
            except BaseException:
                session.rollback()
                raise
            finally:
                self.gradebook.db = session
            session.commit()
        return nb, resources


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


class ForgetAutoGrades(NbGraderPreprocessor):
    """The first autograde preprocessor: empty this notebook's autograder scores (committed)
    before anything of it runs; :class:`SaveAutoGradesAtOnce` writes the new ones at the end.
    In between, the notebook is not graded."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            try:
                notebook = gb.find_submission_notebook(info["notebook"], info["assignment"],
                                                       info["student"])
            except MissingEntry:
                return nb, resources
            for grade in notebook.grades:
                grade.auto_score = None
            gb.db.commit()
        return nb, resources
