"""Helpers for the neural-network foundations course.

Notebooks import what they need from the modules, one concept each:

``checks``       comparison helpers for test cells, with messages that teach
``gradcheck``    central differences and the relative error (the gradient referee)
``data``         small data sets drawn with an explicit ``rng``
``plots``        pure drawing functions that take a matplotlib ``ax``
``widgets``      sliders and live views wired to those drawings

and, for instructors, ``submissions``, ``grading`` and ``demo`` (``python -m course demo``).
Nothing here implements a function that students are graded on.
"""

__version__ = "0.1.0"
