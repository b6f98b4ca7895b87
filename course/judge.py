"""Compatibility only: ``course.judge`` became :mod:`course.grader.judge`.

Hidden tests stored in gradebooks made before the grader moved under ``course.grader``
import ``swapped_functions`` from here (nbgrader restores test cells from the gradebook, so
such a gradebook keeps the old import until the assignment is released again with
``nbgrader generate_assignment``). It is the one module outside ``course/grader/`` that
imports the grader; remove it once no gradebook holds the old import.
"""

from course.grader.judge import swapped_functions

__all__ = ["swapped_functions"]
