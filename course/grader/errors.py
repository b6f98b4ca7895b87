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

Every exception the grader raises is defined here, in those two kinds: the grader's
(:class:`GraderFailure` and its kinds, and :class:`StepFailed`) and the student's
(:class:`JudgeError` and its kinds, :class:`StudentCodeError`, :class:`GradingStopped`).
This module imports nothing: the kernel side of the judge uses it too.
"""

from __future__ import annotations

__all__ = ["CanaryFailed", "GraderFailure", "GradingStopped", "JudgeError", "KernelStopped",
           "SandboxUnavailable", "StepFailed", "StudentCodeError", "Unreadable"]


class GraderFailure(RuntimeError):
    """The grading machinery failed on a submission; the message says what and why. No grade
    may be recorded for it."""

    marker = "GRADER FAILURE"

    def __str__(self) -> str:
        return f"{self.marker}: {super().__str__()}"


# -- the grader's: never a grade -------------------------------------------------------------


class SandboxUnavailable(GraderFailure):
    """The sandbox could not be started; the message says why and what to do."""


class CanaryFailed(GraderFailure):
    """The witnesses were not graded as they must be; no student was graded."""


class StepFailed(RuntimeError):
    """An nbgrader command exited non-zero; the message holds the end of its log."""


# -- the student's: the notebook is graded, with the reason ---------------------------------


class JudgeError(RuntimeError):
    """Something the grader could not do with the student's kernel (its message says what)."""


class Unreadable(JudgeError):
    """What came back from the kernel is not plain data the grader accepts."""


class KernelStopped(JudgeError):
    """The kernel died or had to be stopped: the rest of the notebook cannot be graded."""


class StudentCodeError(Exception):
    """The student's function raised an exception the grader cannot rebuild as itself."""


class GradingStopped(RuntimeError):
    """The rest of the notebook cannot run (the student's kernel ran past a time limit or
    died); the message says why."""
