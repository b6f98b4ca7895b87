"""``python -m course.grader``: the grader's command line (see :mod:`course.grader.cli`)."""

import sys

from course.grader.cli import main

if __name__ == "__main__":
    sys.exit(main())
