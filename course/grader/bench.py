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
import copy
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


GRADING_PHASES = ("handing out the tasks", "the canary (students graded meanwhile)",
                  "grading (recording overlapped)")


def _grading_time(run: dict) -> float:
    """The seconds of a ``course grade`` run spent grading: from handing out the first task
    to recording the last result (no start-up or shut-down; the canary's witnesses are
    graded beside the students, so they count)."""
    return sum(run["timings"].get(phase, 0.0) for phase in GRADING_PHASES)


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


_OPS = ("+", "-", "*")
_CALLS = ("np.sum", "np.abs", "np.max", "np.mean", "np.tanh", "np.square")


def _random_expression(rng, names: list[str], depth: int) -> str:
    """A random numpy expression over ``names``: the lines a student adds of their own."""
    if depth == 0 or rng.random() < 0.2:
        return str(rng.choice(names)) if rng.random() < 0.8 else f"{rng.integers(1, 9)}.0"
    if rng.random() < 0.4:
        return f"{rng.choice(_CALLS)}({_random_expression(rng, names, depth - 1)})"
    left, right = (_random_expression(rng, names, depth - 1) for _ in range(2))
    return f"({left} {rng.choice(_OPS)} {right})"


def _own_lines(rng, source: str, count: int) -> str:
    """``source`` (a solution cell) with ``count`` random statements put at the start of its
    function's body, after the docstring."""
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    names = [a.arg for a in fn.args.args] or ["np.pi"]
    at = fn.body[1].lineno - 1 if len(fn.body) > 1 else fn.body[0].lineno - 1
    lines = source.splitlines()
    own = [f"    extra_{k} = {_random_expression(rng, names, 3)}" for k in range(count)]
    return "\n".join(lines[:at] + own + lines[at:])


def _renamed(rng, source: str) -> str:
    """``source`` with the names its code binds (parameters too) renamed at random,
    rewritten from its syntax tree (so without comments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Store)} | {n.arg for n in ast.walk(tree)
                                                 if isinstance(n, ast.arg)}
    new = {name: f"{name}_{rng.integers(1000)}" for name in sorted(bound)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in new:
            node.id = new[node.id]
        elif isinstance(node, ast.arg) and node.arg in new:
            node.arg = new[node.arg]
    return ast.unparse(tree)


def _student(rng, reference, edits, functions: list[str]):
    """A submission answering each exercise with the reference, a variant or a typical
    mistake (half of them each way)."""
    nb = reference
    for fn in functions:
        choices = [e for e in edits if e.function == fn]
        if choices and rng.random() < 0.5:
            nb = submissions.apply_mistake(nb, choices[rng.integers(len(choices))])
    return nb


def similarity_class(root: Path, asg: str, students: int, seed: int = 0) -> tuple[dict, list]:
    """``students`` synthetic submissions of ``asg`` (``{student: notebook}``) and the
    planted copies (``[(original, copy)]``): each student answers each exercise with the
    reference, a variant or a typical mistake and renames its variables; half of them
    (``-own``) add lines of their own to some exercises; one in twenty copies one of those,
    renaming again."""
    from course.grader.cells import exercises, nbgrader_meta

    rng = np.random.default_rng(seed)
    reference = submissions.reference_for(root, asg)
    mistakes, _ = submissions.load_mistakes(root / "source" / asg)
    edits = mistakes + submissions.load_variants(root / "source" / asg)
    functions = list(exercises(submissions.read(notebook_path(root / "source", asg))))
    made: dict = {}
    planted: list = []
    for i in range(students):
        owners = [s for s in made if s.endswith("-own")]
        own_in: set[str] = set()
        if i % 20 == 19 and owners:
            name = f"s{i:03d}-copy"
            planted.append((owners[rng.integers(len(owners))], name))
            nb = made[planted[-1][0]]
        elif rng.random() < 0.5:
            name = f"s{i:03d}-own"
            nb = _student(rng, reference, edits, functions)
            own_in = {fn for fn in functions if rng.random() < 0.3}
            own_in.add(functions[rng.integers(len(functions))])
        else:
            name = f"s{i:03d}"
            nb = _student(rng, reference, edits, functions)
        nb = copy.deepcopy(nb)
        for cell in nb.cells:
            fn = nbgrader_meta(cell).get("grade_id")
            if fn in functions and nbgrader_meta(cell).get("solution"):
                if fn in own_in:
                    try:
                        cell.source = _own_lines(rng, cell.source, int(rng.integers(2, 5)))
                    except SyntaxError:
                        pass
                cell.source = _renamed(rng, cell.source)
        made[name] = nb
    return made, planted


def similarity(root: Path, students: int, asg: str) -> int:
    """Build ``students`` synthetic submissions of ``asg`` in a scratch folder (see
    :func:`similarity_class`), time ``python -m course.grader similarity`` on them (reading
    the notebooks included) and print the figures."""
    import shutil
    import tempfile

    from course.grader import similarity as sim

    start = time.perf_counter()
    made, planted = similarity_class(root, asg, students)
    built = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        course = Path(tmp)
        for kind in ("source", "release"):
            shutil.copytree(root / kind / asg, course / kind / asg)
        submissions.submit(course, asg, made)
        start = time.perf_counter()
        report = sim.compare_course(course, asg)
        seconds = time.perf_counter() - start
    pairs = {frozenset((p.a.student, p.b.student)) for p in report.pairs}
    found = sum(frozenset(p) in pairs for p in planted)
    others = len(pairs - {frozenset(p) for p in planted})
    n = len(made)
    print(f"similarity of {n} submissions of {asg} ({len(report.exercises)} exercises), "
          f"{os.cpu_count()} cores:")
    print(f"  built in                 {built:8.1f} s  (reference, variants, typical mistakes, "
          f"renamed; lines of their own; {len(planted)} copies)")
    print(f"  compared in              {seconds:8.1f} s  (reading and parsing included; "
          f"target: under 60 s for 300)")
    print(f"  candidate pairs compared {report.candidates:8d}    of "
          f"{len(report.exercises) * n * (n - 1) // 2} exercise pairs")
    print(f"  planted copies found:    {found:5d} of {len(planted)}")
    print(f"  other pairs flagged:     {others:5d}")
    return 0


def misconceptions(root: Path, asg: str, repeats: int = 2) -> dict[str, float]:
    """CPU seconds (grader and kernels) of one ``nbgrader autograde`` of ``asg``'s sample
    class (the reference, the blank release, one student per typical mistake) with the
    misconceptions named and without (``--SandboxedExecute.name_misconceptions=False``),
    alternating, the least of ``repeats`` runs each; the number of submissions; and the
    CPU seconds the grader's process spent naming them, from its log (``named``): the
    difference of the totals drowns in the kernels' own noise."""
    import re
    import resource
    import tempfile

    from course.grader.misconceptions import CPU_LOG

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        course = steps.scratch_course(root, asg, Path(tmp))
        reference = submissions.reference_for(course, asg)
        release = submissions.read(notebook_path(course / "release", asg))
        made = {"reference": reference, "blank": release}
        for mistake in submissions.load_mistakes(course / "source" / asg)[0]:
            made[mistake.student] = submissions.apply_mistake(reference, mistake)
        submissions.submit(course, asg, made)
        out["submissions"] = len(made)
        for _ in range(repeats):
            for label, flag in (("without", "False"), ("with", "True")):
                before = cpu()
                log = steps.nbgrader(["autograde", asg, "--force",
                                      f"--SandboxedExecute.name_misconceptions={flag}"], course)
                out[label] = min(out.get(label, float("inf")), cpu() - before)
                named = [float(x) for x in re.findall(re.escape(CPU_LOG) + r" ([0-9.]+) s", log)]
                if named:
                    out["named"] = min(out.get("named", float("inf")), sum(named))
                    out["named_max"] = max(named)
    return out


def _report_misconceptions(root: Path, assignment: str, repeats: int) -> int:
    t = misconceptions(root, assignment, repeats)
    n = t["submissions"]
    print(f"CPU seconds (grader and kernels) to autograde {assignment}'s {n:.0f} sample "
          f"submissions (reference, blank, one per typical mistake), least of {repeats}:")
    for label in ("without", "with"):
        print(f"  {label + ' misconceptions named':34}{t[label]:8.1f} s"
              f"{t[label] / n:8.3f} s per submission")
    print(f"  difference: {(t['with'] - t['without']) / n:+.3f} s per submission (within "
          "the noise of the kernels' own CPU)")
    print(f"CPU the grader spent naming misconceptions (watching the judge, replaying): "
          f"{t.get('named', 0.0):.3f} s in all, {t.get('named', 0.0) / n:.4f} s per "
          f"submission, {t.get('named_max', 0.0):.3f} s at most for one")
    return 0


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
    print(f"course grade's start-up and shut-down: {one - g1:.1f} s with 1 worker, "
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
    if target == "similarity":
        return similarity(root, students, assignment)
    if target == "misconceptions":
        return _report_misconceptions(root, assignment, repeats)
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
        print(f"unknown benchmark {target!r}; available: playground, sandbox, grading, "
              "similarity",
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
