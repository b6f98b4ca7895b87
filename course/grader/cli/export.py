"""``python -m course.grader export``: grades in the CSV shape Canvas or Moodle imports."""

from __future__ import annotations

import sys
from pathlib import Path

from course.grader.cli import add_db_url, add_root


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "export", help="write grades for the LMS: Canvas's or Moodle's import CSV, or plain",
        description="Write the gradebook's grades of the ASSIGNMENTs as a CSV file that "
                    "Canvas (gradebook import: Student, ID, SIS User ID, SIS Login ID, "
                    "Section, a Points Possible row) or Moodle (grade import: Username, Email "
                    "address, one column per grade item) imports, or as plain CSV. One column "
                    "per assignment, and with --exercises one per exercise. A student without "
                    "a submission gets an empty cell, never 0; a submission without an "
                    "autograder score (its grading failed or never ran) gets empty cells and "
                    "is listed on stderr and, with -o FILE, in FILE's sibling "
                    "STEM.not-graded.csv. Before writing, the late policy of nbgrader_config.py "
                    "(nbgrader's LateSubmissionPlugin) is applied again, after the extensions "
                    "of --extensions are set in the gradebook; the scores are after the "
                    "penalty.")
    parser.add_argument("assignments", nargs="+", metavar="ASSIGNMENT")
    parser.add_argument("--format", choices=["canvas", "moodle", "csv"], default="csv",
                        help="the file's shape (default: csv)")
    parser.add_argument("--exercises", action="store_true",
                        help="a column per exercise too (its test cells' points, before any "
                             "late penalty)")
    parser.add_argument("--extensions", type=Path, metavar="FILE",
                        help="CSV 'student_id,extension[,assignment]': extension in hours "
                             "(48) or an ISO 8601 duration (P2DT12H); 0 removes one; no "
                             "assignment means every exported one")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write the file here (default: to stdout)")
    add_db_url(parser)
    add_root(parser)


def run(args) -> int:
    from course.grader import export as export_mod

    try:
        text, sheet = export_mod.export(args.root, args.assignments, args.format,
                                        exercises=args.exercises, extensions=args.extensions,
                                        db_url=args.db_url)
    except export_mod.ExportError as exc:
        print(f"python -m course.grader export: error: {exc}", file=sys.stderr)
        return 2
    failed = sheet.listed("not graded")
    apart = None
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        apart = args.output.with_name(f"{args.output.stem}.not-graded.csv")
        if failed:
            apart.write_text(export_mod.not_graded_csv(sheet), encoding="utf-8")
        else:
            apart.unlink(missing_ok=True)  # not left from an earlier export
    else:
        sys.stdout.write(text)
    for student, a in failed:
        print(f"not graded, left empty (no autograder score: its grading failed or never "
              f"ran; regrade it): {student} {a}", file=sys.stderr)
    for student, a in sheet.listed("written answers to grade"):
        print(f"written answers still to grade (they count 0 in the exported score): "
              f"{student} {a}", file=sys.stderr)
    if args.output:
        print(f"wrote {args.output} ({args.format}, {len(sheet.students)} students)"
              + (f"; not graded: {apart}" if failed else ""), file=sys.stderr)
    return 0
