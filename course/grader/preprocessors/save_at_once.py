"""nbgrader's ``SaveAutoGrades``, committing all of a notebook's grades in one transaction.

nbgrader's ``SaveAutoGrades`` commits after every graded cell, so a grading process killed
while it saves (a worker lost, a machine stopped) leaves a submission with some cells graded
anew and the others still holding the previous run's scores. :class:`SaveAutoGradesAtOnce`
writes the same rows but commits them in one transaction at the end of the notebook: the
gradebook holds either all of the new scores or none of them.
"""

from __future__ import annotations

from contextlib import contextmanager

from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades

__all__ = ["SaveAutoGradesAtOnce", "one_transaction"]


class _OneTransaction:
    """A session whose ``commit`` only flushes: the caller commits once, at the end."""

    def __init__(self, session):
        self._session = session

    def commit(self) -> None:
        self._session.flush()

    def __getattr__(self, name):
        return getattr(self._session, name)


@contextmanager
def one_transaction(gb):
    """Within it, nbgrader's ``Gradebook`` methods that commit only flush; the block's
    changes are committed together at its end, or rolled back if it raises."""
    session = gb.db
    gb.db = _OneTransaction(session)
    try:
        yield gb
        gb.db = session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        gb.db = session


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades``, committing all of a notebook's grades in one transaction."""

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook, one_transaction(self.gradebook):
            # nbgrader's per-cell _add_score/_add_comment, committing nothing yet
            nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
        return nb, resources
