"""Reference functions swapped in for the student's own, inside one block of a hidden test.

Hidden tests write ``with swapped_functions(forward=ref_forward): ...``. In a notebook (the
instructor's source, a student's own run) the notebook's globals are swapped. While the grader
judges a hidden test, the judge's calls (:class:`course.grader.judge.session.Calls`) are
current, and the student's kernel gets stand-ins that ask the grader to run the reference
instead: no reference code enters the kernel.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from course.grader.judge.kernel import MISSING, user_namespace

__all__ = ["CURRENT", "swapped_functions"]

# the judge's calls of the hidden test being judged in this context, if any
CURRENT: contextvars.ContextVar = contextvars.ContextVar("course_judge_calls", default=None)


@contextmanager
def swapped_functions(**functions):
    """Replace the notebook's functions of these names by ``functions`` inside the block.

    In a notebook (the instructor's source, a student's own run) this swaps the
    notebook's globals.  While the grader judges a hidden test, the student's kernel
    gets stubs that ask the grader to run ``functions`` instead: the reference code
    never enters the kernel.
    """
    calls = CURRENT.get()
    if not functions:
        yield
        return
    if calls is not None:
        token = calls.patch(functions)
        try:
            yield
        finally:
            calls.unpatch(token)
        return
    ns = user_namespace()
    saved = {name: ns.get(name, MISSING) for name in functions}
    ns.update(functions)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is MISSING:
                ns.pop(name, None)
            else:
                ns[name] = value
