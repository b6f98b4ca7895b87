"""Whose fault is it? The grader's failures are never recorded as a student's grade.

Two kinds of failure end a graded notebook early:

* the **student's**: whatever their code does once it runs (it raises, kills or exits its
  kernel, loops past the time limit, floods its output). The notebook is graded: the cells
  that ran keep their marks, the rest score zero, and the reason is written on the notebook.
* the **grader's**: whatever fails before the student's first cell runs (the sandbox cannot
  be made, the kernel does not start or imports another ``course`` than the grader's) or in
  the grader's own process (the judge cannot open its socket, the gradebook cannot be
  written). :class:`GraderFailure` is raised: nbgrader records no score for the notebook
  (its grades stay empty, so ``export`` and the report show it as not graded, never as 0),
  goes on with the next submission and exits non-zero; ``python -m course grade`` lists it
  under *failed* with the cause.
"""

from __future__ import annotations

__all__ = ["GraderFailure"]


class GraderFailure(RuntimeError):
    """The grading machinery failed on a submission; the message says what and why. No grade
    may be recorded for it."""

    marker = "GRADER FAILURE"

    def __str__(self) -> str:
        return f"{self.marker}: {super().__str__()}"
