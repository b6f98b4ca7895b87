"""``python -m course.grader bench``: print benchmark figures."""

from __future__ import annotations

from course.grader.cli import add_root


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "bench", help="print benchmark figures (e.g. ms per frame of the playground)",
        description="Run a benchmark and print its figures: 'playground' times one frame of "
                    "the training playground (a training step, a forward pass on a 100 x 100 "
                    "grid, a redraw) against a plain matplotlib redraw; 'sandbox' times "
                    "autograding reference submissions with and without the grading sandbox; "
                    "'grading' times --students submissions (reference and typical mistakes) "
                    "run raw with nbclient, graded by plain nbgrader autograde, and by course "
                    "grade with 1 and 2 workers, and prints the ratios; 'similarity' compares "
                    "--students synthetic submissions; 'misconceptions' gives "
                    "the CPU seconds of autograding --assignment's sample class with and "
                    "without the misconceptions named.")
    parser.add_argument("target", choices=["playground", "sandbox", "grading", "similarity",
                                           "misconceptions"],
                        help="what to benchmark")
    parser.add_argument("--frames", type=int, default=200, help="frames to time (default: 200)")
    parser.add_argument("--students", type=int, default=None,
                        help="submissions per grading run (default: 4 for sandbox, 16 for "
                             "grading, 300 for similarity)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="grading: rounds of runs, the best of which counts (default: 2)")
    parser.add_argument("--assignment", default=None,
                        help="grading, similarity, misconceptions: the assignment (default: "
                             "06-backprop, or the "
                             "first assignment with --class-size)")
    parser.add_argument("--class-size", type=int, default=0, metavar="N",
                        help="grading: instead, grade a class of N submissions with 1 and with "
                             "2 workers and print submissions per second (e.g. 300)")
    add_root(parser, "source/")


def run(args) -> int:
    from course.grader import bench as bench_mod
    from course.grader.coursedir import Course

    students = args.students or {"grading": 16, "similarity": 300}.get(args.target, 4)
    assignment = args.assignment or (Course.at(args.root).assignments[0] if args.class_size
                                     else "06-backprop")
    return bench_mod.run(args.target, args.root, args.frames, students, assignment,
                         args.rounds, args.class_size)
