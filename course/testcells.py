"""Helpers for test cells: reference functions swapped in for the student's own.

A test of one function that calls others (``train`` calls ``forward``, ``backward`` and
``sgd_step``) tests that function alone by swapping stand-ins in for the others inside a
block: ``with swapped_functions(forward=stand_in_forward): ...``. The notebook's own
functions are put back at the end of the block, whatever happens in it.

In a notebook (the instructor's source, a student's own run) the notebook's globals are
swapped. When the grader judges a hidden test outside the student's kernel, it sets
:data:`JUDGE` for the length of the test: the student's kernel then gets stand-ins that ask
the grader to run the given functions instead, so no reference code enters the kernel.
"""

from __future__ import annotations

import contextvars
import sys
from contextlib import contextmanager

__all__ = ["JUDGE", "MISSING", "swapped_functions", "user_namespace"]

# the grader's calls into the student's kernel while it judges a hidden test in this context
# (an object with ``patch(functions) -> token`` and ``unpatch(token)``), else None
JUDGE: contextvars.ContextVar = contextvars.ContextVar("course_judge_calls", default=None)
MISSING = object()  # a name the notebook did not define before the swap


def user_namespace() -> dict:
    """The notebook's global names (the kernel's user namespace)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:
        pass
    return sys.modules["__main__"].__dict__


@contextmanager
def swapped_functions(**functions):
    """Replace the notebook's functions of these names by ``functions`` inside the block.

    In a notebook (the instructor's source, a student's own run) this swaps the
    notebook's globals.  While the grader judges a hidden test, the student's kernel
    gets stubs that ask the grader to run ``functions`` instead: the reference code
    never enters the kernel.
    """
    judge = JUDGE.get()
    if not functions:
        yield
        return
    if judge is not None:
        token = judge.patch(functions)
        try:
            yield
        finally:
            judge.unpatch(token)
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
