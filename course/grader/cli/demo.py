"""``python -m course.grader demo``: build the release, grade sample submissions, print grades."""

from __future__ import annotations

from course.grader.cli import add_root


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "demo", help="build the release, autograde sample submissions, print the grades",
        description="Generate the student release from source/, make sample submissions "
                    "(reference, typical mistakes, blank) for every assignment, autograde them "
                    "with nbgrader, write feedback and a grades CSV, and print a table.")
    parser.add_argument("assignments", nargs="*", help="only these assignments (default: all)")
    add_root(parser)


def run(args) -> int:
    from course.grader import demo as demo_mod

    return demo_mod.run(args.root, args.assignments or None)
