"""Compatibility only: test cells now import ``swapped_functions`` from
:mod:`course.testcells`; the judge itself became :mod:`course.grader.judge`.

Test cells stored in gradebooks made before the move import ``swapped_functions`` from here
(nbgrader restores test cells from the gradebook, so such a gradebook keeps the old import
until the assignment is released again with ``nbgrader generate_assignment``), and so do
students' notebooks released before it. Remove this module once none does.
"""

from course.testcells import swapped_functions

__all__ = ["swapped_functions"]
