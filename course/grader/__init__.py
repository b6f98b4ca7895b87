"""What only the grader runs: never imported by a student's notebook or by the student-facing
modules at the top level of :mod:`course`."""
