"""``python -m course.grader grade ASSIGNMENT``: autograde every submission, in parallel, on Dask.

Each submission (``submitted/<student>/<assignment>/``) is one Dask task. A task runs
nbgrader's own ``Autograde`` converter inside a worker process, through nbgrader's
Python API, with the course's ``nbgrader_config.py``: every protection of the grading
sandbox and the judge applies, and the scores land in nbgrader's gradebook (SQLite by
default, PostgreSQL with ``--db-url``), so ``nbgrader export``, the formgrader and
feedback work unchanged.

* Workers stay warm: nbgrader is imported and the configuration read once per worker,
  not once per submission.
* A submission already graded with the same content is skipped (``--force`` regrades):
  when a submission is graded, the worker writes ``.course-grade.json`` with a digest
  of the submitted files into its autograded folder, last, after nbgrader has committed
  the grades. A worker killed mid-task leaves no such file, so the next run grades that
  submission again from scratch (nbgrader's ``--force`` semantics).
* A worker that dies takes the results it holds with it, and Dask computes such a task
  again: the client lets go of each result as soon as it has it, and a task computed again
  in the same run finds its run's marker and does not grade the submission twice.
* SQLite is opened with a 60 s busy timeout, so concurrent workers wait for each other's
  writes instead of failing; PostgreSQL handles concurrent writers itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from course.grader import canary, steps
from course.grader.coursedir import Course, default_db_url
from course.grader.errors import CanaryFailed, GraderFailure
from course.grader.gradebook import read_scores

__all__ = ["GradeResult", "find_submissions", "grade", "submission_digest"]

MARKER = ".course-grade.json"


@dataclass
class GradeResult:
    """What happened to one submission."""

    student: str
    status: str  # "graded", "skipped" or "failed"
    seconds: float = 0.0
    reason: str = ""
    started: float = 0.0  # time.time() when the worker began it
    faults: list[str] = field(default_factory=list)


def find_submissions(root: Path, assignment: str) -> dict[str, Path]:
    """``{student: folder}`` for every ``submitted/<student>/<assignment>/``."""
    base = Path(root) / "submitted"
    if not base.is_dir():
        return {}
    return {p.parent.name: p for p in sorted(base.glob(f"*/{assignment}")) if p.is_dir()}


def submission_digest(folder: Path) -> str:
    """SHA-256 over the names and bytes of every file in a submission folder."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _marker(root: Path, assignment: str, student: str) -> Path:
    return Path(root) / "autograded" / student / assignment / MARKER


def already_graded(root: Path, assignment: str, student: str, digest: str) -> bool:
    try:
        record = json.loads(_marker(root, assignment, student).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("digest") == digest


# ------------------------------------------------------------------------------------------
# the worker side

_WORKER_STATE: dict = {}


def _config(root: str, db_url: str):
    """The course's configuration, read once per worker and course."""
    key = (root, db_url)
    if key not in _WORKER_STATE:
        import warnings

        from sqlalchemy.exc import SAWarning

        # nbgrader's update_or_create_submission autoflushes a half-built submission and
        # SQLAlchemy warns about it on every new student; the rows are added right after
        warnings.filterwarnings("ignore", message="Object of type <Submitted",
                                category=SAWarning)
        _WORKER_STATE[key] = Course(Path(root), db_url).grading_config()
    return _WORKER_STATE[key]


def warm_up() -> float:
    """Import what grading needs (runs once in each new worker); the seconds it took."""
    started = time.perf_counter()
    import nbgrader.apps  # noqa: F401

    import course.grader.preprocessors.execute  # noqa: F401
    return time.perf_counter() - started


def grade_submission(root: str, assignment: str, student: str, db_url: str,
                     digest: str, extra_config: dict | None = None,
                     run: str = "") -> GradeResult:
    """Autograde one submission with nbgrader's API (runs inside a Dask worker).

    ``run`` names the grading run. Dask computes a task again when the worker holding its
    result dies before the client let go of it; a task of the same run that finds the
    marker this run wrote for the same files returns what the marker says instead of grading
    the submission a second time."""
    import copy

    began, started = time.time(), time.perf_counter()
    marker = _marker(Path(root), assignment, student)
    if run:
        try:
            record = json.loads(marker.read_text())
        except (OSError, ValueError):
            record = None
        if (isinstance(record, dict) and record.get("run") == run
                and record.get("digest") == digest):
            return GradeResult(student, "graded", record.get("seconds", 0.0),
                               faults=list(record.get("faults", [])), started=began)
    warm_up()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")  # alembic
    config = copy.deepcopy(_config(root, db_url))
    for section, values in (extra_config or {}).items():
        for key, value in values.items():
            config[section][key] = value
    coursedir = CourseDirectory(config=config, root=root)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    marker.unlink(missing_ok=True)
    result = api.autograde(assignment, student, force=True, create=True)
    seconds = time.perf_counter() - started
    if not result.get("success"):
        return GradeResult(student, "failed", seconds, failure_reason(result), started=began)
    faults = _faults(Path(root), assignment, student)
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps({"digest": digest, "run": run, "seconds": round(seconds, 3),
                               "faults": faults}))
    os.replace(tmp, marker)  # last: a killed worker leaves no marker behind
    return GradeResult(student, "graded", seconds, faults=faults, started=began)


def failure_reason(result: dict) -> str:
    """The cause of a failed ``NbGraderAPI.autograde``: the grader failure's own message
    (:class:`course.grader.errors.GraderFailure`) if its log holds one, else the log's end."""
    text = "\n".join(str(result.get(k) or "") for k in ("log", "error")).strip()
    for line in text.splitlines():
        if GraderFailure.marker in line:
            return line[line.index(GraderFailure.marker):][:500]
    # else the innermost exception of the traceback nbgrader logged (nbgrader's own
    # NbGraderException only says "see the log")
    import re

    raised = [ln.strip() for ln in text.splitlines()
              if re.match(r"\s*[\w.]+(Error|Exception|Failure|Exit): ", ln)
              and "NbGraderException" not in ln]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return (raised[-1] if raised else lines[-1] if lines
            else "nbgrader failed without a message")[:500]


def _faults(root: Path, assignment: str, student: str) -> list[str]:
    import nbformat

    out = []
    for path in sorted((root / "autograded" / student / assignment).glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        out += [f"{path.stem}: {f}" for f in nb.metadata.get("course_grading", {}).get(
            "faults", [])]
    return out


# ------------------------------------------------------------------------------------------
# the client side


def _prepare_gradebook(root: Path, assignment: str, db_url: str, log) -> set[str]:
    """Make sure the gradebook knows the assignment (its cells come from
    generate_assignment); return the students it holds a submission of it for."""
    from nbgrader.api import MissingEntry

    with Course(root, db_url).gradebook() as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            pass
        else:
            return {s.student.id for s in gb.assignment_submissions(assignment)}
    log(f"the gradebook has no assignment {assignment}: running nbgrader generate_assignment")
    steps.nbgrader(["generate_assignment", assignment, "--force",
                      f"--CourseDirectory.db_url={db_url}"], root)
    return set()


def _start(workers: int, scheduler: str | None):
    """A Dask client: on the scheduler at ``scheduler``, else on a new LocalCluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, memory_limit=0)
    return Client(cluster), cluster


def run_canary(client, root: Path, assignment: str, extra_config: dict | None, log) -> None:
    """Grade the canary's witnesses (:mod:`course.grader.canary`) on ``client``'s workers;
    raise :class:`course.grader.errors.CanaryFailed` if they were not graded as they must be."""
    started = time.perf_counter()
    scratch = canary.prepare(root, assignment)
    try:
        url = default_db_url(scratch)
        futures = [client.submit(grade_submission, str(scratch), assignment, student, url, "",
                                 extra_config, pure=False, key=f"canary-{student}")
                   for student in (canary.REFERENCE, canary.BLANK)]
        why = {}
        for future in futures:
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker: the canary did not pass
                result = GradeResult(future.key.removeprefix("canary-"), "failed",
                                     reason=_why(exc))
            if result.status != "graded":
                why[result.student] = result.reason
        problem = canary.verdict(read_scores(scratch, assignment), why=why)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if problem:
        raise CanaryFailed(problem)
    log(f"canary: the reference scored full marks and the blank release zero "
        f"({time.perf_counter() - started:.1f} s)")


def grade(root: Path, assignment: str, *, workers: int = 2, scheduler: str | None = None,
          db_url: str | None = None, force: bool = False, progress: bool = True,
          extra_config: dict | None = None, canary: bool = True,
          log=print) -> list[GradeResult]:
    """Grade every submission of ``assignment`` in ``root``; return one result each.

    A submission is skipped when its marker holds the digest of its files and the
    gradebook (this ``db_url``'s) holds a submission of it: a gradebook that was replaced
    or never saw the grades gets them again. Before any student is graded, the canary
    (``canary=False`` turns it off) grades the reference and the blank release as hidden
    witnesses; :class:`course.grader.errors.CanaryFailed` stops the run if they fail."""
    root = Path(root).resolve()
    db_url = Course(root, db_url).db_url
    submissions = find_submissions(root, assignment)
    if not submissions:
        raise SystemExit(f"no submissions of {assignment} in {root / 'submitted'}")
    digests = {student: submission_digest(folder) for student, folder in submissions.items()}
    marked = {s for s, d in digests.items()
              if not force and already_graded(root, assignment, s, d)}
    cluster = _Cluster(workers, scheduler)
    try:
        if len(marked) < len(digests):
            cluster.start(warm=True)  # some are to be graded for sure: workers warm up meanwhile
        in_gradebook = _prepare_gradebook(root, assignment, db_url, log)
        todo = {s: d for s, d in digests.items() if s not in marked or s not in in_gradebook}
        results = [GradeResult(s, "skipped") for s in digests if s not in todo]
        lost = len(marked - in_gradebook)
        log(f"{assignment}: {len(submissions)} submissions, {len(todo)} to grade, "
            f"{len(results)} unchanged since they were graded"
            + (f" ({lost} graded before but missing from this gradebook, graded again)"
               if lost else ""))
        if todo:
            client = cluster.start()
            if canary:
                run_canary(client, root, assignment, extra_config, log)
            results += _grade_all(client, root, assignment, db_url, todo, extra_config,
                                  progress)
    finally:
        cluster.close()
    return sorted(results, key=lambda r: r.student)


class _Cluster:
    """The Dask client of a grading run, started when first needed, and its local cluster."""

    def __init__(self, workers: int, scheduler: str | None):
        self.workers, self.scheduler = workers, scheduler
        self.client = self.cluster = None
        self.warming: list = []

    def start(self, warm: bool = False):
        if self.client is None:
            self.client, self.cluster = _start(self.workers, self.scheduler)
        if warm:
            self.warming = [self.client.submit(warm_up, pure=False, workers=[w],
                                               allow_other_workers=False)
                            for w in self.client.scheduler_info()["workers"]]
        return self.client

    def close(self) -> None:
        self.warming = []
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _grade_all(client, root: Path, assignment: str, db_url: str, todo: dict,
               extra_config: dict | None, progress: bool) -> list[GradeResult]:
    """One task per submission of ``todo`` (``{student: digest}``); their results."""
    from distributed import as_completed
    from tqdm import tqdm

    run = uuid.uuid4().hex
    futures = {client.submit(grade_submission, str(root), assignment, student, db_url,
                             digest, extra_config, run, pure=False, key=f"grade-{student}"):
               student for student, digest in todo.items()}
    results = []
    bar = tqdm(total=len(futures), unit="submission", disable=not progress,
               file=sys.stderr, desc=f"grading {assignment}")
    for future in as_completed(futures):
        student = futures.pop(future)
        try:
            results.append(future.result())
        except Exception as exc:  # noqa: BLE001 - a lost worker, an unexpected error
            results.append(GradeResult(student, "failed", reason=_why(exc)))
        # let go of the result at once: a result held on a worker that dies later is
        # recomputed by Dask, which would grade that submission again (its marker
        # removed first) and cut it short when the run ends
        future.release()
        bar.update()
    bar.close()
    return results


def _why(exc: Exception) -> str:
    if type(exc).__name__ == "KilledWorker":
        return ("the worker grading it died (KilledWorker); nothing of it was saved as graded, "
                "and the next run grades it again")
    return f"{type(exc).__name__}: {exc}"[:500]


def summary(results: list[GradeResult]) -> str:
    """A few lines for the instructor: counts, then every failure and fault with its reason."""
    count = {s: sum(r.status == s for r in results) for s in ("graded", "skipped", "failed")}
    lines = [f"{count['graded']} graded, {count['skipped']} skipped (unchanged), "
             f"{count['failed']} failed"]
    for r in results:
        if r.status == "failed":
            lines.append(f"  FAILED {r.student}: {r.reason}")
        for fault in r.faults:
            lines.append(f"  note   {r.student}: {fault}")
    return "\n".join(lines)
