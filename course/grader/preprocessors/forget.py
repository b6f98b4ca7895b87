"""The first autograde preprocessor: a notebook's autograder scores emptied before it runs.

A grading run that fails (the grader's failure, see :mod:`course.grader.errors`) then leaves
the notebook *not graded*, never with a score it did not earn in this run, not even a previous
run's; :class:`~course.grader.preprocessors.save_at_once.SaveAutoGradesAtOnce` writes the new
scores at the end. :func:`course.grader.gradebook.autograded` is the one test of that state.
"""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["ForgetAutoGrades"]


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
