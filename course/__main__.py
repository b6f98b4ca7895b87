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
                    "autograding reference submissions with and without the grading sandbox.")
    bench.add_argument("target", choices=["playground", "sandbox"], help="what to benchmark")
    bench.add_argument("--frames", type=int, default=200, help="frames to time (default: 200)")
    bench.add_argument("--students", type=int, default=4,
                       help="sandbox: reference submissions per grading run (default: 4)")
    bench.add_argument("--root", type=Path, default=Path.cwd(),
                       help="the course folder holding source/ (default: .)")
    args = parser.parse_args(argv)
    if args.command == "bench":
        from course import bench as bench_mod

        return bench_mod.run(args.target, args.root, args.frames, args.students)
    if args.command == "demo":
        from course import demo as demo_mod

        return demo_mod.run(args.root, args.assignments or None)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
