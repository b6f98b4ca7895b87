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
from pathlib import Path

import numpy as np

ASSIGNMENT = "06-backprop"
FUNCTIONS = ("init_params", "forward", "backward", "sgd_step")


def reference_network(root: Path) -> dict:
    """The instructor's ``init_params, forward, backward, sgd_step`` from the source notebook."""
    from course import submissions

    path = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run from the course folder or pass --root")
    nb = submissions.read(path)
    namespace = {"np": np}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        given = cell.cell_type == "code" and not meta and "def softmax(" in cell.source
        if given or meta.get("grade_id") in FUNCTIONS:
            tree = ast.parse(submissions.strip_solution(cell.source))
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

    from course import demo, grading, submissions

    asg = demo.assignments(root)[0]
    out: dict[str, list[float]] = {"sandboxed (bubblewrap)": [], "unsandboxed": []}
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        course = grading.scratch_course(root, asg, Path(tmp))
        reference = submissions.reference_for(course, asg)
        for i in range(students):
            submissions.write(reference, submissions.notebook_path(
                course / "submitted" / f"reference-{i}", asg))
        for _ in range(repeats):
            for label, extra in (("unsandboxed", ["--SandboxedExecute.sandbox=off"]),
                                 ("sandboxed (bubblewrap)", [])):
                start = time.perf_counter()
                grading.nbgrader(["autograde", asg, "--force", *extra], course)
                out[label].append(time.perf_counter() - start)
    return out


def _submissions(course: Path, asg: str, students: int) -> list[str]:
    """Write ``students`` submissions into ``course``: the reference answer and each typical
    mistake in turn. Returns the student ids."""
    from course import submissions

    reference = submissions.reference_for(course, asg)
    mistakes = submissions.load_mistakes(course / "source" / asg)[0]
    ids = []
    for i in range(students):
        k = i % (len(mistakes) + 1)
        nb = reference if k == 0 else submissions.apply_mistake(reference, mistakes[k - 1])
        ids.append(f"s{i:03d}-" + ("reference" if k == 0 else mistakes[k - 1].student))
        submissions.write(nb, submissions.notebook_path(course / "submitted" / ids[-1], asg))
    return ids


def _raw_execution(course: Path, asg: str, ids: list[str]) -> None:
    """Execute each submitted notebook with nbclient, one kernel each, in turn: no grading.

    The test cells are the instructor's, hidden parts included, as nbgrader runs them: the
    same code as grading runs, without the sandbox, the judge and the gradebook."""
    import nbformat
    from nbclient import NotebookClient

    from course import submissions

    source = submissions.read(submissions.notebook_path(course / "source", asg))
    tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")}
    for student in ids:
        path = submissions.notebook_path(course / "submitted" / student, asg)
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in tests:
                cell.source = tests[grade_id]
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()


def grading(root: Path, students: int, asg: str) -> dict[str, float]:
    """Seconds for each way of running ``students`` submissions of ``asg``, in one scratch
    copy of the course: raw execution, plain ``nbgrader autograde``, ``course grade`` with 1
    and with 2 workers (--force, cluster start-up included), and with 1 worker once more
    with the hidden tests run in the kernel instead of judged by the grader (insecure: it
    shows what the judge costs)."""
    import tempfile

    from course import grade
    from course import grading as nbg

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        course = nbg.scratch_course(root, asg, Path(tmp))
        ids = _submissions(course, asg, students)

        def timed(label, fn):
            start = time.perf_counter()
            fn()
            out[label] = time.perf_counter() - start
            print(f"  {label:34}{out[label]:8.1f} s", flush=True)

        timed("raw execution (nbclient)", lambda: _raw_execution(course, asg, ids))
        timed("nbgrader autograde (serial)",
              lambda: nbg.nbgrader(["autograde", asg, "--force"], course))
        in_kernel = {"SandboxedExecute": {"judge_hidden_tests": False}}
        runs = [("course grade, 1 worker", 1, None), ("course grade, 2 workers", 2, None),
                ("  the same, tests run in the kernel", 1, in_kernel)]
        for label, workers, extra in runs:
            def graded(workers=workers, extra=extra):
                results = grade.grade(course, asg, workers=workers, force=True, progress=False,
                                      extra_config=extra, log=lambda *_: None)
                if any(r.status != "graded" for r in results):
                    raise RuntimeError(grade.summary(results))
            timed(label, graded)
    return out


def run(target: str, root: Path, frames: int, students: int = 4,
        assignment: str = "06-backprop") -> int:
    if target == "grading":
        print(f"seconds to run {students} submissions of {assignment} (reference and typical "
              f"mistakes), {os.cpu_count()} cores:", flush=True)
        t = grading(root, students, assignment)
        raw, one, two = (t["raw execution (nbclient)"], t["course grade, 1 worker"],
                         t["course grade, 2 workers"])
        print(f"per submission: raw {raw / students:.2f} s, course grade with 1 worker "
              f"{one / students:.2f} s, with 2 workers {two / students:.2f} s")
        in_kernel = t["  the same, tests run in the kernel"]
        print(f"1 worker / raw execution:            x{one / raw:.2f}  (target: at most x1.25)")
        print(f"  with the tests run in the kernel:  x{in_kernel / raw:.2f}  (so the judge "
              f"costs {(one - in_kernel) / students:.2f} s per submission)")
        print(f"nbgrader autograde / 1 worker:       x{t['nbgrader autograde (serial)'] / one:.2f}")
        print(f"speed-up of 2 workers over 1:        x{one / two:.2f}  (target: at least x1.8)")
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
