"""Hidden tests judged outside the student's kernel.

During autograding, the public part of a test cell runs in the student's (sandboxed) kernel
as usual, but its hidden part never enters that kernel: the grader runs it in its own
process, in a fresh namespace holding pristine ``numpy``, ``course.checks``, ``course.data``,
``math``, ``itertools`` and, under the name ``gradcheck``, the grader's gradient referee
``course.grader.referees``. Every other name the hidden code uses (``softmax``,
``backward``, ...) is a :class:`~course.grader.judge.session.RemoteFunction`: calling it
sends the arguments into the kernel, runs the student's function there, and brings the
result back as plain data, which the grader reads strictly into new, ordinary Python and
numpy objects. So whatever the student's code did to its kernel (a replaced
``np.allclose``, a fake ``course.checks``, arrays with their own ``__eq__``, input
transformers, a silenced ``showtraceback``), the comparison happens where it cannot reach,
and the only way to pass is to return the right values.

The package, one module per side:

``wire``      the plain-data format and its frames (both sides)
``kernel``    what runs in the student's kernel: the whole attack surface, reviewable alone
``session``   the grader's side: the socket (``Transport``), the time limits
              (``TimeLimits``), the calls a hidden test makes (``Calls``) and the
              ``Session`` that runs one notebook's hidden tests with them

A round trip over the judge's Unix socket costs a small fraction of one through Jupyter's
messages, which matters when a training loop calls a stand-in thousands of times.

Test cells swap reference functions in with :func:`course.testcells.swapped_functions`, a
student-facing helper: while the grader judges a hidden test, the session sets
:data:`course.testcells.JUDGE`, and the swap goes through the judge instead.
"""
