"""The gradient check under the name older notebooks import: ``gradcheck.assert_gradient``.

It is :func:`course.checks.assert_gradient`, which compares slopes along random directions
and gives a verdict, never a gradient. This module holds no numerical gradient and no
relative error: those are exercises of notebook 04. The grader's referee (central differences
and the relative error) is ``course.grader.referees``; in hidden tests judged by the grader
the name ``gradcheck`` means that referee (see :func:`course.judge.judge_namespace`).
"""

from __future__ import annotations

from course.checks import assert_gradient

__all__ = ["assert_gradient"]
