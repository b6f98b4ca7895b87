"""``python -m course.grader grade``: autograde every submission of an assignment on Dask."""

from __future__ import annotations

import sys

from course.grader.cli import add_db_url, add_root


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "grade", help="autograde every submission of an assignment in parallel (Dask)",
        description="Autograde every submitted/<student>/ASSIGNMENT with nbgrader, one Dask task "
                    "per submission, on a local cluster of --workers processes or on the "
                    "cluster at --scheduler. Scores go to nbgrader's gradebook. Submissions "
                    "already graded with the same content are skipped unless --force. Exits 1 "
                    "if any submission failed to grade.")
    parser.add_argument("assignment")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the local cluster (default: 2)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler to use instead")
    add_db_url(parser, "gradebook.db, SQLite")
    parser.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-canary", action="store_true",
                        help="skip the canary (the reference and the blank release graded "
                             "first as hidden witnesses, which must score full marks and zero)")
    parser.add_argument("--no-figures", action="store_true",
                        help="draw no figures while grading (SandboxedExecute.draw_figures="
                             "False): about half the time of a notebook with many plots; the "
                             "feedback then shows no pictures")
    parser.add_argument("--timings", action="store_true",
                        help="print the seconds each phase took (cluster start, gradebook, "
                             "canary, grading, recording the results)")
    add_root(parser)


def run(args) -> int:
    from course.grader import parallel as grade_mod
    from course.grader.errors import CanaryFailed

    timings: dict | None = {} if args.timings else None
    extra_config = {"SandboxedExecute": {"draw_figures": False}} if args.no_figures else None
    try:
        results = grade_mod.grade(args.root, args.assignment, workers=args.workers,
                                  scheduler=args.scheduler, db_url=args.db_url,
                                  force=args.force, progress=not args.no_progress,
                                  canary=not args.no_canary, timings=timings,
                                  extra_config=extra_config)
    except CanaryFailed as exc:
        print(f"python -m course.grader grade: {exc}", file=sys.stderr)
        return 1
    print(grade_mod.summary(results))
    if timings is not None:
        print("timings: " + ", ".join(f"{name} {seconds:.2f} s"
                                      for name, seconds in timings.items()))
    return 1 if any(r.status == "failed" for r in results) else 0
