"""Helpers for the neural-network foundations course.

Notebooks import what they need from the modules, one concept each:

``checks``       comparison helpers for test cells, with messages that teach, and the
                 visible tests' gradient check (``checks.assert_gradient``, a verdict only)
``testcells``    ``swapped_functions``: stand-ins for the notebook's functions in one test
``hints``        staged hints, asked for on purpose
``data``         small data sets drawn with an explicit ``rng``
``plots``        pure drawing functions that take a matplotlib ``ax``
``widgets``      sliders and live views wired to those drawings
``playground``   a training playground driven by the student's own network (06)
``live``         the same, drawn by the browser from the parameters the kernel sends (06, 05)

Nothing here implements a function that students are graded on, and nothing here imports
the grader: ``course.grader`` (instructors only, ``python -m course.grader``) is left out of
the student distribution (``python3 tasks.py student-wheel``). ``course.judge`` is a
compatibility name for ``testcells``.
"""

__version__ = "0.1.0"
