"""``python -m course.grader similarity``: list pairs of submissions with alike solutions."""

from __future__ import annotations

import sys

from course.grader.cli import add_root


def add_parser(sub) -> None:
    from course.grader.similarity import DEFAULT_THRESHOLD

    parser = sub.add_parser(
        "similarity", help="list pairs of submissions whose solutions are alike, with a diff",
        description="Compare the submissions of ASSIGNMENT in submitted/ one exercise at a "
                    "time, on what each student wrote in the graded function's cell (the "
                    "release's stub removed), after normalising names, numbers, comments and "
                    "layout; fragments of the reference solution and fragments common to many "
                    "submissions count for nothing. Prints each pair at or above --threshold "
                    "with a side-by-side diff (= same after normalisation, ^ moved, ~ changed, "
                    "< > on one side only). Student code is parsed, never run.")
    parser.add_argument("assignment")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help="least similarity listed, 0 to 1: the share of the two answers' "
                             f"counted fragments they hold both (default: {DEFAULT_THRESHOLD})")
    add_root(parser, "source/, release/, submitted/")


def run(args) -> int:
    from course.grader import similarity

    if not 0.0 <= args.threshold <= 1.0:
        print(f"python -m course.grader similarity: error: --threshold must be between 0 and "
              f"1, not {args.threshold:g}", file=sys.stderr)
        return 2
    try:
        report = similarity.compare_course(args.root, args.assignment, args.threshold)
    except (OSError, ValueError) as exc:
        print(f"python -m course.grader similarity: error: {exc}", file=sys.stderr)
        return 2
    print(similarity.format_text(report))
    return 0
