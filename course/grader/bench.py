"""Benchmarks that print figures (never timed tests): ``python -m course bench playground``.

The playground benchmark times one frame as the live widget does it: one mini-batch
training step, a forward pass on the 100 x 100 grid (together with the training points),
and the redraw into the widget's images.  It compares the playground's direct drawing
(numpy pixels, PNG encoded with zlib) with a plain matplotlib redraw of the same state
(decision boundary with the points, and the loss curve, rendered by Agg), the way
``widgets.BoundaryView`` draws.

The network is notebook 06's reference solution, read from ``source/06-backprop``: the
course package itself holds no implementation of a graded function.
"""

from __future__ import annotations

import ast
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from course.grader import steps, submissions
from course.grader.cells import strip_solution
from course.grader.coursedir import Course, notebook_path

ASSIGNMENT = "06-backprop"
FUNCTIONS = ("init_params", "forward", "backward", "sgd_step")


def reference_network(root: Path) -> dict:
    """The instructor's ``init_params, forward, backward, sgd_step`` from the source notebook."""
    path = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run from the course folder or pass --root")
    nb = submissions.read(path)
    namespace = {"np": np}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        given = cell.cell_type == "code" and not meta and "def softmax(" in cell.source
        if given or meta.get("grade_id") in FUNCTIONS:
            tree = ast.parse(strip_solution(cell.source))
            tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
            exec(compile(tree, str(path), "exec"), namespace)
    return {name: namespace[name] for name in FUNCTIONS}


def _matplotlib_redraw(pg, image) -> None:
    """Redraw the playground's state with matplotlib, as a plain widget would."""
    from matplotlib.figure import Figure

    from course import plots

    fig = Figure(figsize=(7.0, 3.4), layout="constrained")
    ax, ax_loss = fig.subplots(1, 2, width_ratios=[3, 2])
    res = pg.resolution
    p1 = pg._grid_o[:, 1].reshape(res, res)
    ax.imshow(p1, origin="lower", extent=pg.canvas.extent, cmap="RdBu_r", vmin=0, vmax=1,
              aspect="auto", interpolation="nearest")
    plots.scatter_classes(ax, pg.X, pg.y, size=15)
    plots.loss_curve(ax_loss, [loss for _, loss in pg.history], log=True, xlabel="step")
    image.value = plots.figure_png(fig, dpi=80)


def _times(frame, frames: int, warmup: int) -> np.ndarray:
    for _ in range(warmup):
        frame()
    out = np.empty(frames)
    for i in range(frames):
        start = time.perf_counter()
        frame()
        out[i] = time.perf_counter() - start
    return out * 1000.0


def playground(root: Path, frames: int = 200, warmup: int = 10) -> dict[str, np.ndarray]:
    """Milliseconds per frame for the playground and for the matplotlib baseline."""
    import ipywidgets as W

    from course.playground import Playground

    net = reference_network(root)
    fast = Playground(*(net[name] for name in FUNCTIONS))
    slow = Playground(*(net[name] for name in FUNCTIONS))
    image = W.Image(format="png")

    def baseline_frame():
        slow._train_one_batch()
        slow._evaluate()
        _matplotlib_redraw(slow, image)

    return {"playground (numpy pixels -> PNG)": _times(fast.advance, frames, warmup),
            "baseline (matplotlib redraw)": _times(baseline_frame, frames, warmup)}


def sandbox(root: Path, students: int, repeats: int = 2) -> dict[str, list[float]]:
    """Seconds for one ``nbgrader autograde`` of ``students`` reference submissions of the
    first assignment, in a scratch copy of the course, with and without the sandbox
    (alternating, ``repeats`` times each)."""
    import tempfile

    asg = Course.at(root).assignments[0]
    out: dict[str, list[float]] = {"sandboxed (bubblewrap)": [], "unsandboxed": []}
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        course = steps.scratch_course(root, asg, Path(tmp))
        reference = submissions.reference_for(course, asg)
        submissions.submit(course, asg, {f"reference-{i}": reference for i in range(students)})
        for _ in range(repeats):
            for label, extra in (("unsandboxed", ["--SandboxedExecute.sandbox=off"]),
                                 ("sandboxed (bubblewrap)", [])):
                start = time.perf_counter()
                steps.nbgrader(["autograde", asg, "--force", *extra], course)
                out[label].append(time.perf_counter() - start)
    return out


def _submissions(course: Path, asg: str, students: int) -> list[str]:
    """Write ``students`` submissions into ``course``: the reference answer and each typical
    mistake in turn. Returns the student ids."""
    reference = submissions.reference_for(course, asg)
    mistakes = submissions.load_mistakes(course / "source" / asg)[0]
    made = {}
    for i in range(students):
        k = i % (len(mistakes) + 1)
        nb = reference if k == 0 else submissions.apply_mistake(reference, mistakes[k - 1])
        made[f"s{i:03d}-" + ("reference" if k == 0 else mistakes[k - 1].student)] = nb
    submissions.submit(course, asg, made)
    return list(made)


@contextmanager
def _single_blas_thread():
    """Kernels started inside get one BLAS thread, as the grading sandbox gives its kernels."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(dict.fromkeys(names, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _raw_execution(course: Path, asg: str, ids: list[str]) -> None:
    """Execute each submitted notebook with nbclient, one kernel each, in turn: no grading.

    The test cells are the instructor's, hidden parts included, as nbgrader runs them: the
    same code as grading runs, without the sandbox, the judge and the gradebook.  The
    kernels get one BLAS thread, as graded kernels do (two threads on two cores are slower
    for this course's small matrices), and their own start-up notices are not shown."""
    import subprocess

    import nbformat
    from nbclient import NotebookClient

    source = submissions.read(notebook_path(course / "source", asg))
    tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")}
    with _single_blas_thread():
        for student in ids:
            path = notebook_path(course / "submitted" / student, asg)
            nb = nbformat.read(str(path), as_version=4)
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in tests:
                    cell.source = tests[grade_id]
            NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": str(path.parent)}}).execute(
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


RAW, NBGRADER = "raw execution (nbclient)", "nbgrader autograde (serial)"
ONE, TWO, IN_KERNEL = ("course grade, 1 worker", "course grade, 2 workers",
                       "  the same, tests run in the kernel")
IN_KERNEL_CONFIG = "\nc.SandboxedExecute.judge_hidden_tests = False  # bench: insecure\n"


def course_grade(course: Path, asg: str, workers: int) -> dict:
    """Run ``python -m course.grader grade ASG --workers N --force`` in ``course``, the command
    line an instructor types (the canary included), and time it as they wait for it.

    Returns ``{"total": seconds, "timings": {phase: seconds}, "peaks": {worker: MiB}}``;
    the phases come from the command's own
    ``--timings``, the peaks from the markers of the graded submissions."""
    import json
    import subprocess

    from course.grader import parallel

    cmd = [sys.executable, "-m", "course.grader", "grade", asg, "--workers", str(workers),
           "--force", "--no-progress", "--timings"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True)
    total = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr[-3000:]}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("timings: "))
    timings = {}
    for part in line.removeprefix("timings: ").split(", "):
        name, seconds, _ = part.rsplit(" ", 2)
        timings[name] = float(seconds)
    peaks: dict[str, float] = {}
    for student in parallel.find_submissions(course, asg):
        record = json.loads(parallel._marker(course, asg, student).read_text())
        peaks[record["worker"]] = max(peaks.get(record["worker"], 0.0),
                                      record["peak_mb"]["worker"])
    return {"total": total, "timings": timings, "peaks": peaks}


def _grading_time(run: dict) -> float:
    """The seconds of a ``course grade`` run spent grading: from handing out the first task
    to recording the last result (no start-up, canary or shut-down)."""
    t = run["timings"]
    return t.get("handing out the tasks", 0.0) + t.get("grading (recording overlapped)", 0.0)


def grading(root: Path, students: int, asg: str, repeats: int = 2) -> dict[str, dict]:
    """Seconds for each way of running ``students`` submissions of ``asg``, in one scratch
    copy of the course: raw execution, plain ``nbgrader autograde``, ``course grade`` with 1
    and with 2 workers (the whole command, as typed, :func:`course_grade`), and with 1 worker
    once more with the hidden tests run in the kernel instead of judged by the grader
    (insecure: it shows what the judge costs).

    The machine's speed drifts (other virtual machines share it), so the runs go in rounds,
    each round every way once, and the best round of each way counts.  Each result is
    ``{"total": seconds}``, plus what :func:`course_grade` says for a ``course grade`` run."""
    import tempfile

    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        course = steps.scratch_course(root, asg, Path(tmp))
        ids = _submissions(course, asg, students)
        config = course / "nbgrader_config.py"
        healthy = config.read_text()

        def in_kernel():
            config.write_text(healthy + IN_KERNEL_CONFIG)
            try:
                return course_grade(course, asg, 1)
            finally:
                config.write_text(healthy)

        ways = [(RAW, lambda: _raw_execution(course, asg, ids)),
                (NBGRADER, lambda: steps.nbgrader(["autograde", asg, "--force"], course)),
                (ONE, lambda: course_grade(course, asg, 1)),
                (TWO, lambda: course_grade(course, asg, 2)), (IN_KERNEL, in_kernel)]
        for round_ in range(1, repeats + 1):
            print(f"round {round_} of {repeats}:", flush=True)
            for label, fn in ways:
                start = time.perf_counter()
                extra = fn()
                seconds = time.perf_counter() - start
                print(f"  {label:34}{seconds:8.1f} s", flush=True)
                if label not in out or seconds < out[label]["total"]:
                    out[label] = {**(extra if isinstance(extra, dict) else {}),
                                  "total": seconds}
    return out


def class_size(root: Path, students: int, asg: str) -> dict[int, dict]:
    """``course grade`` of a class of ``students`` submissions of ``asg`` (the reference and
    the typical mistakes in turn) with 1 and with 2 workers: :func:`course_grade`'s figures."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        course = steps.scratch_course(root, asg, Path(tmp))
        _submissions(course, asg, students)
        return {workers: course_grade(course, asg, workers) for workers in (1, 2)}


def _print_peaks(runs: dict[str, dict]) -> None:
    print("peak resident memory of each worker process (MiB; its sandboxed kernels, each "
          "bounded by the sandbox, not included):")
    for label, run in runs.items():
        cells = [f"worker {i}: {mb:.0f}"
                 for i, mb in enumerate(run.get("peaks", {}).values(), 1)]
        print(f"{label}: " + "; ".join(cells))


def _print_timings(runs: dict[str, dict]) -> None:
    print("where the time of the whole command goes (seconds; the rest is Python's start-up "
          "and imports):")
    for label, run in runs.items():
        print(f"{label}: " + ", ".join(f"{name} {seconds:.1f}"
                                       for name, seconds in run["timings"].items()))


def _report_grading(t: dict, students: int, repeats: int) -> None:
    raw, one, two, in_kernel = (t[RAW]["total"], t[ONE]["total"], t[TWO]["total"],
                                t[IN_KERNEL]["total"])
    print(f"best of {repeats}:")
    for label in (RAW, NBGRADER, ONE, TWO, IN_KERNEL):
        print(f"  {label:34}{t[label]['total']:8.1f} s")
    _print_timings({ONE: t[ONE], TWO: t[TWO]})
    _print_peaks({ONE: t[ONE], TWO: t[TWO]})
    g1, g2 = _grading_time(t[ONE]), _grading_time(t[TWO])
    print(f"course grade's start-up, canary and shut-down: {one - g1:.1f} s with 1 worker, "
          f"{two - g2:.1f} s with 2")
    print(f"per submission: raw {raw / students:.2f} s, course grade with 1 worker "
          f"{one / students:.2f} s, with 2 workers {two / students:.2f} s")
    print(f"1 worker / raw execution:            x{one / raw:.2f}  (target: at most x1.25); "
          f"x{g1 / raw:.2f} grading only")
    print(f"  with the tests run in the kernel:  x{in_kernel / raw:.2f}  (so the judge "
          f"costs {(one - in_kernel) / students:.2f} s per submission)")
    print(f"nbgrader autograde / 1 worker:       x{t[NBGRADER]['total'] / one:.2f}")
    print(f"speed-up of 2 workers over 1:        x{one / two:.2f}  (target: at least x1.8); "
          f"x{g1 / g2:.2f} grading only")


def _report_class(runs: dict[int, dict], students: int, asg: str) -> None:
    labels = {1: ONE, 2: TWO}
    for workers, run in runs.items():
        print(f"  {labels[workers]:34}{run['total']:8.1f} s   "
              f"{students / run['total']:.2f} submissions per second")
    _print_timings({labels[w]: r for w, r in runs.items()})
    _print_peaks({labels[w]: r for w, r in runs.items()})
    print(f"speed-up of 2 workers over 1:        x{runs[1]['total'] / runs[2]['total']:.2f}")


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def run(target: str, root: Path, frames: int, students: int = 4,
        assignment: str = "06-backprop", repeats: int = 2, class_students: int = 0) -> int:
    if target == "grading" and class_students:
        print(f"a class of {class_students} submissions of {assignment}, graded by "
              f"`python -m course.grader grade {assignment} --workers N --force` "
              f"(canary included), {os.cpu_count()} cores, {_load()}:", flush=True)
        _report_class(class_size(root, class_students, assignment), class_students, assignment)
        print(f"after: {_load()}")
        return 0
    if target == "grading":
        print(f"seconds to run {students} submissions of {assignment} (reference and typical "
              f"mistakes), {os.cpu_count()} cores, {repeats} round{'s' * (repeats != 1)}, "
              f"{_load()}; course grade is timed as the whole command "
              f"`python -m course.grader grade {assignment} --workers N --force`:", flush=True)
        _report_grading(grading(root, students, assignment, repeats), students, repeats)
        print(f"after: {_load()}")
        return 0
    if target == "sandbox":
        results = sandbox(root, students)
        print(f"seconds to autograde {students} reference submissions in one nbgrader run "
              f"(best of {len(next(iter(results.values())))})")
        print(f"{'':26}{'total':>8}{'per submission':>16}")
        for name, seconds in results.items():
            print(f"{name:26}{min(seconds):8.1f}{min(seconds) / students:16.2f}")
        ratio = min(results["sandboxed (bubblewrap)"]) / min(results["unsandboxed"])
        print(f"sandbox cost: x{ratio:.2f}")
        return 0
    if target != "playground":
        print(f"unknown benchmark {target!r}; available: playground, sandbox, grading",
              file=sys.stderr)
        return 2
    try:
        results = playground(root, frames)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"ms per frame: one training step (batch 20, 32 hidden units, two spirals) + forward "
          f"pass on a 100 x 100 grid + redraw into the widget; {frames} frames")
    print(f"{'':36}{'median':>8}{'p95':>8}")
    for name, ms in results.items():
        print(f"{name:36}{np.median(ms):8.1f}{np.percentile(ms, 95):8.1f}")
    return 0
