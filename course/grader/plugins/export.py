"""``nbgrader export`` that never writes a grade the autograder did not give.

nbgrader's CSV export sums whatever the gradebook holds, so a submission whose grading failed
(no autograder score: see :mod:`course.grader.errors`) comes out as 0. The course's
``nbgrader_config.py`` makes :class:`CsvExport` the export plugin: it writes nbgrader's
columns, quoted as CSV, plus ``status``:

* ``graded``: the scores, as nbgrader computes them;
* ``written answers to grade``: autograded, but some written answers wait for a person;
  the scores count them 0 until then;
* ``not graded``: the submission exists but was not scored; its score cells are empty;
* ``no submission``: nothing was submitted, and nbgrader's 0 stands.
"""

from __future__ import annotations

import csv

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

from course.grader.gradebook import autograded, to_grade

__all__ = ["COLUMNS", "CsvExport"]

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
           "email", "raw_score", "late_submission_penalty", "score", "max_score", "status"]


class CsvExport(ExportPlugin):
    """nbgrader's CSV export, with submissions that were not graded left empty."""

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or "grades.csv"
        students = {str(s) for s in self.student}
        assignments = {str(a) for a in self.assignment}
        self.log.info("Exporting grades to %s", dest)
        with open(dest, "w", newline="") as fh:
            out = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
            out.writeheader()
            for assignment in gradebook.assignments:
                if assignments and assignment.name not in assignments:
                    continue
                for student in gradebook.students:
                    if students and student.id not in students:
                        continue
                    out.writerow(self._row(gradebook, assignment, student))

    @staticmethod
    def _row(gradebook: Gradebook, assignment, student) -> dict:
        row = {"assignment": assignment.name, "duedate": assignment.duedate,
               "student_id": student.id, "last_name": student.last_name,
               "first_name": student.first_name, "email": student.email,
               "max_score": assignment.max_score}
        try:
            submission = gradebook.find_submission(assignment.name, student.id)
        except MissingEntry:
            row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0,
                       status="no submission")
        else:
            row["timestamp"] = submission.timestamp
            if autograded(submission):
                penalty = submission.late_submission_penalty
                row.update(raw_score=submission.score, late_submission_penalty=penalty,
                           score=max(0.0, submission.score - penalty),
                           status="written answers to grade" if to_grade(submission)
                           else "graded")
            else:
                row.update(raw_score="", late_submission_penalty="", score="",
                           status="not graded")
        return {k: "" if v is None else v for k, v in row.items()}
