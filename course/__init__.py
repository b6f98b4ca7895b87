"""Helpers for the neural-network foundations course.

Notebooks import what they need from the modules, one concept each:

``checks``       comparison helpers for test cells, with messages that teach, and the
                 visible tests' gradient check (``checks.assert_gradient``, a verdict only)
``data``         small data sets drawn with an explicit ``rng``
``plots``        pure drawing functions that take a matplotlib ``ax``
``widgets``      sliders and live views wired to those drawings
``playground``   a training playground driven by the student's own network (06)
``live``         the same, drawn by the browser from the parameters the kernel sends (06, 05)

and, for instructors, ``submissions``, ``grading``, ``demo`` (``python -m course demo``),
``sandbox`` (the bubblewrap sandbox of every autograded kernel) and ``bench``
(``python -m course bench playground``); ``grader/`` is what only the grader runs (the
gradient referee ``grader.referees``, the grader's failures).
Nothing here implements a function that students are graded on.
"""

__version__ = "0.1.0"
