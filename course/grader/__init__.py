"""The grader: what only instructors run, never imported by the student-facing modules.

Laid out by role, as nbgrader lays out its own package:

``coursedir``        :class:`Course`: a course folder and its configuration, read once
``cells``            the notebook's cell conventions and the schema of the grader's metadata
``errors``           every failure, the grader's (never a grade) or the student's
``preprocessors/``   nbgrader plug-ins, one per module (sandboxed execution, scores emptied
                     first and saved at once, feedback without hidden tests)
``plugins/``         nbgrader's export plug-in (no 0 for a submission that was not graded)
``faults``           the exporter that repairs or replaces submissions nbgrader cannot read
``sandbox/``         bubblewrap's command line, the sandboxed kernel manager, the entry point
``cgroup``           a control group per sandbox
``judge/``           hidden tests judged outside the kernel: wire format, kernel side, session
``referees``         the gradient referee (central differences), which students never get
``misconceptions``   which typical mistake of mistakes.py a failing exercise behaves like
``gradebook``        reading nbgrader's gradebook: scores, not graded, written answers to grade
``steps``            nbgrader's commands run as an instructor types them
``submissions``      sample submissions: reference, blank, typical mistakes, variants
``canary``           the reference and the blank as witnesses of every run
``parallel``         grading on Dask (``grade``)
``similarity``       similar solutions: normalised answers compared through an index
``export``           grades in the shape Canvas or Moodle imports, the late policy applied
``demo``, ``report``, ``doctor``, ``bench``   the other commands' work
``cli/``             the command line, one module per command (``python -m course.grader``)
"""

import sys as _sys

# jsonschema, which nbformat loads, builds a grammar for IRI strings at import when the
# optional ``rfc3987-syntax`` is installed (Jupyter's server brings it): a second and a half of
# CPU in every process, for a string format that no notebook or nbgrader schema uses. Every
# grader process (the command line, a Dask worker, the test suite) does without it; a no-op
# once jsonschema is loaded.
if "jsonschema" not in _sys.modules:
    _sys.modules.setdefault("rfc3987_syntax", None)  # its import fails: jsonschema skips it
