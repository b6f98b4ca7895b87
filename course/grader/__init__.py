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
``gradebook``        reading nbgrader's gradebook: scores, not graded, written answers to grade
``steps``            nbgrader's commands run as an instructor types them
``submissions``      sample submissions: reference, blank, typical mistakes, variants
``canary``           the reference and the blank as witnesses of every run
``parallel``         grading on Dask (``grade``)
``demo``, ``report``, ``doctor``, ``bench``   the other commands' work
``cli/``             the command line, one module per command (``python -m course.grader``)
"""
