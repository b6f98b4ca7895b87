"""``python -m course.grader report``: write an HTML grade report of an assignment."""

from __future__ import annotations

import sys
from pathlib import Path

from course.grader.cli import add_db_url, add_root


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "report", help="write an HTML grade report of an assignment (score histogram, "
                       "pass rate of each exercise)",
        description="Read ASSIGNMENT's grades from nbgrader's gradebook and write a static "
                    "HTML page with two PNGs: the score distribution, each exercise's pass "
                    "rate and mean points, its commonest failure reasons and a table of "
                    "students. Prints the page's path. Exits 2 if the gradebook has no such "
                    "assignment or no submission of it.")
    parser.add_argument("assignment")
    add_root(parser)
    add_db_url(parser)
    parser.add_argument("--out", type=Path,
                        help="folder to write to (default: ROOT/reports/ASSIGNMENT/)")


def run(args) -> int:
    from course.grader import report as report_mod

    try:
        page = report_mod.write_report(args.root, args.assignment, db_url=args.db_url,
                                       out=args.out)
    except report_mod.ReportError as exc:
        print(f"python -m course.grader report: error: {exc}", file=sys.stderr)
        return 2
    print(page)
    return 0
