"""``python -m course.grader doctor``: check that this machine can grade."""

from __future__ import annotations

from course.grader.cli import add_db_url, add_root


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "doctor", help="check that this machine can grade: sandbox, kernel, gradebook, canary",
        description="Check, one line each: bubblewrap, a sandboxed kernel starting, the "
                    "kernel importing the grader's own course package, the gradebook "
                    "accepting a write (rolled back), and the canary of every assignment (or "
                    "of those named): the reference must score full marks and the blank "
                    "release zero. Prints the sandbox's bounds. Exits 1 if a check failed.")
    parser.add_argument("assignments", nargs="*", help="only these canaries (default: all)")
    add_root(parser)
    add_db_url(parser)


def run(args) -> int:
    from course.grader import doctor as doctor_mod

    return doctor_mod.run(args.root, args.assignments or None, db_url=args.db_url)
