"""Command line: ``python -m course demo`` and friends.

Imports are deferred to the command that needs them so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course",
        description="Tools of the neural-network foundations course.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="build the release, autograde sample submissions, print the grades",
        description="Generate the student release from source/, make sample submissions "
                    "(reference, typical mistakes, blank) for every assignment, autograde them "
                    "with nbgrader, write feedback and a grades CSV, and print a table.")
    demo.add_argument("assignments", nargs="*", help="only these assignments (default: all)")
    demo.add_argument("--root", type=Path, default=Path.cwd(),
                      help="the course folder holding nbgrader_config.py (default: .)")
    bench = sub.add_parser(
        "bench", help="print benchmark figures (e.g. ms per frame of the playground)",
        description="Run a benchmark and print its figures: 'playground' times one frame of "
                    "the training playground (a training step, a forward pass on a 100 x 100 "
                    "grid, a redraw) against a plain matplotlib redraw; 'sandbox' times "
                    "autograding reference submissions with and without the grading sandbox; "
                    "'grading' times --students submissions (reference and typical mistakes) "
                    "run raw with nbclient, graded by plain nbgrader autograde, and by course "
                    "grade with 1 and 2 workers, and prints the ratios.")
    bench.add_argument("target", choices=["playground", "sandbox", "grading"],
                       help="what to benchmark")
    bench.add_argument("--frames", type=int, default=200, help="frames to time (default: 200)")
    bench.add_argument("--students", type=int, default=None,
                       help="submissions per grading run (default: 4 for sandbox, 16 for "
                            "grading)")
    bench.add_argument("--rounds", type=int, default=2,
                       help="grading: rounds of runs, the best of which counts (default: 2)")
    bench.add_argument("--assignment", default="06-backprop",
                       help="grading: the assignment to grade (default: 06-backprop)")
    bench.add_argument("--root", type=Path, default=Path.cwd(),
                       help="the course folder holding source/ (default: .)")
    grade = sub.add_parser(
        "grade", help="autograde every submission of an assignment in parallel (Dask)",
        description="Autograde every submitted/<student>/ASSIGNMENT with nbgrader, one Dask task "
                    "per submission, on a local cluster of --workers processes or on the "
                    "cluster at --scheduler. Scores go to nbgrader's gradebook. Submissions "
                    "already graded with the same content are skipped unless --force. Exits 1 "
                    "if any submission failed to grade.")
    grade.add_argument("assignment")
    grade.add_argument("--workers", type=int, default=2,
                       help="worker processes of the local cluster (default: 2)")
    grade.add_argument("--scheduler", help="address of a running Dask scheduler to use instead")
    grade.add_argument("--db-url", help="nbgrader's database URL (default: gradebook.db, SQLite)")
    grade.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument("--no-canary", action="store_true",
                       help="skip the canary (the reference and the blank release graded "
                            "first as hidden witnesses, which must score full marks and zero)")
    grade.add_argument("--root", type=Path, default=Path.cwd(),
                       help="the course folder holding nbgrader_config.py (default: .)")
    report = sub.add_parser(
        "report", help="write an HTML grade report of an assignment (score histogram, "
                       "pass rate of each exercise)",
        description="Read ASSIGNMENT's grades from nbgrader's gradebook and write a static "
                    "HTML page with two PNGs: the score distribution, each exercise's pass "
                    "rate and mean points, its commonest failure reasons and a table of "
                    "students. Prints the page's path. Exits 2 if the gradebook has no such "
                    "assignment or no submission of it.")
    report.add_argument("assignment")
    report.add_argument("--root", type=Path, default=Path.cwd(),
                        help="the course folder holding nbgrader_config.py (default: .)")
    report.add_argument("--db-url", help="nbgrader's database URL (default: the course's)")
    report.add_argument("--out", type=Path,
                        help="folder to write to (default: ROOT/reports/ASSIGNMENT/)")
    doctor = sub.add_parser(
        "doctor", help="check that this machine can grade: sandbox, kernel, gradebook, canary",
        description="Check, one line each: bubblewrap, a sandboxed kernel starting, the "
                    "kernel importing the grader's own course package, the gradebook "
                    "accepting a write (rolled back), and the canary of every assignment (or "
                    "of those named): the reference must score full marks and the blank "
                    "release zero. Prints the sandbox's bounds. Exits 1 if a check failed.")
    doctor.add_argument("assignments", nargs="*", help="only these canaries (default: all)")
    doctor.add_argument("--root", type=Path, default=Path.cwd(),
                        help="the course folder holding nbgrader_config.py (default: .)")
    doctor.add_argument("--db-url", help="nbgrader's database URL (default: the course's)")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from course import doctor as doctor_mod

        return doctor_mod.run(args.root, args.assignments or None, db_url=args.db_url)
    if args.command == "report":
        from course import report as report_mod

        try:
            page = report_mod.write_report(args.root, args.assignment, db_url=args.db_url,
                                           out=args.out)
        except report_mod.ReportError as exc:
            print(f"python -m course report: error: {exc}", file=sys.stderr)
            return 2
        print(page)
        return 0
    if args.command == "grade":
        from course import grade as grade_mod
        from course.canary import CanaryFailed

        try:
            results = grade_mod.grade(args.root, args.assignment, workers=args.workers,
                                      scheduler=args.scheduler, db_url=args.db_url,
                                      force=args.force, progress=not args.no_progress,
                                      canary=not args.no_canary)
        except CanaryFailed as exc:
            print(f"python -m course grade: {exc}", file=sys.stderr)
            return 1
        print(grade_mod.summary(results))
        return 1 if any(r.status == "failed" for r in results) else 0
    if args.command == "bench":
        from course import bench as bench_mod

        students = args.students or (16 if args.target == "grading" else 4)
        return bench_mod.run(args.target, args.root, args.frames, students, args.assignment,
                             args.rounds)
    if args.command == "demo":
        from course import demo as demo_mod

        return demo_mod.run(args.root, args.assignments or None)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
