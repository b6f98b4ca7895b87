"""``python -m course.grader grade ASSIGNMENT``: autograde every submission, in parallel, on Dask.

Each submission (``submitted/<student>/<assignment>/``) is one Dask task, and a task carries
all it needs (:mod:`course.grader.task`): the submission's files, the assignment as the
gradebook defines it and the course's configuration. A worker grades it with nbgrader's own
``Autograde``, in a scratch course of its own, so it needs neither the course folder nor the
gradebook: workers may run on other machines with no shared folder. Every protection of the
grading sandbox and the judge applies. This process (the client) writes what each task
brings back into the course: the autograded files, then the grades into nbgrader's gradebook
(SQLite by default, PostgreSQL with ``--db-url``) in one transaction, then the marker; so
``nbgrader export``, the formgrader and feedback work unchanged.

* Workers stay warm: nbgrader is imported and the assignment's scratch gradebook made once
  per worker, not once per submission.
* A submission already graded with the same content is skipped (``--force`` regrades): when
  a submission's grades are committed, ``.course-grade.json`` with a digest of the submitted
  files goes into its autograded folder, last. The submissions to grade lose their marker
  and their scores (one transaction) before the first result is recorded, so a run cut
  short leaves them *not graded*, and the next run grades them.
* The canary's witnesses (the reference and the blank release) are handed out first, the
  students' submissions after them; nothing is written until the witnesses have passed.
* A worker that dies loses only the task it was running: Dask runs it again on another
  worker (``distributed.scheduler.allowed-failures``), and since workers write nothing, the
  client records each submission once, whichever worker graded it.
* Only the client writes the gradebook, one submission at a time.
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

from course.grader import canary, steps, submissions, task
from course.grader.coursedir import Course, default_db_url, notebook_path
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
    worker: str = ""  # the address of the worker that graded it


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


def _witnesses(root: Path, asg: task.Assignment) -> list[task.Submission]:
    """The canary's two submissions: the reference solution and the blank release."""
    import nbformat

    reference = submissions.reference_for(root, asg.name)
    blank = notebook_path(root / "release", asg.name)
    name = blank.name
    return [task.Submission(canary.REFERENCE, {name: nbformat.writes(reference).encode()}),
            task.Submission(canary.BLANK, {name: blank.read_bytes()})]


CANARY_PRIORITY = 10  # Dask runs the witnesses before any student's task


def submit_canary(client, root: Path, asg: task.Assignment, extra_config: dict | None) -> list:
    """Hand the canary's witnesses (:mod:`course.grader.canary`) to ``client``'s workers
    ahead of every other task: their futures, for :func:`run_canary`."""
    return [client.submit(task.grade, asg, witness, extra_config, pure=False,
                          priority=CANARY_PRIORITY,
                          key=f"canary-{witness.student}-{uuid.uuid4().hex[:8]}")
            for witness in _witnesses(root, asg)]


def run_canary(root: Path, asg: task.Assignment, futures: list, log) -> None:
    """Wait for the canary's witnesses (``futures``, from :func:`submit_canary`); their
    grades go to a scratch gradebook that defines the assignment as the course's does.
    Raise :class:`course.grader.errors.CanaryFailed` if they were not graded as they must
    be."""
    import tempfile

    from nbgrader.api import Gradebook

    started = time.perf_counter()
    why, outcomes = {}, []
    for future, student in zip(futures, (canary.REFERENCE, canary.BLANK), strict=True):
        try:
            out = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker: the canary did not pass
            out = task.Outcome(student, False, _why(exc))
        outcomes.append(out)
        if not out.ok:
            why[student] = out.reason
    with tempfile.TemporaryDirectory(prefix="course-canary-") as scratch:
        url = default_db_url(Path(scratch))
        task.make_gradebook(url, asg)
        with Gradebook(url, course_id=asg.course_id) as gb:
            for out in outcomes:
                if out.ok:
                    task.save_grades(gb, asg.name, out)
        problem = canary.verdict(read_scores(root, asg.name, url), why=why)
    if problem:
        raise CanaryFailed(problem)
    log(f"canary: the reference scored full marks and the blank release zero "
        f"({time.perf_counter() - started:.1f} s)")


def grade(root: Path, assignment: str, *, workers: int = 2, scheduler: str | None = None,
          db_url: str | None = None, force: bool = False, progress: bool = True,
          extra_config: dict | None = None, canary: bool = True,
          log=print, timings: dict | None = None) -> list[GradeResult]:
    """Grade every submission of ``assignment`` in ``root``; return one result each.

    A submission is skipped when its marker holds the digest of its files and the
    gradebook (this ``db_url``'s) holds a submission of it: a gradebook that was replaced
    or never saw the grades gets them again. The canary (``canary=False`` turns it off)
    grades the reference and the blank release as hidden witnesses, handed out first; the
    students' tasks follow on the workers it leaves free, but nothing is written to the
    course until the witnesses have passed: :class:`course.grader.errors.CanaryFailed`
    stops the run, every student's task cancelled and nobody's grade touched.

    ``timings``, if given, receives the seconds each phase of the run took."""
    root = Path(root).resolve()
    course = Course(root, db_url)
    task.quiet_gradebook()
    lap = _Laps(timings)
    folders = find_submissions(root, assignment)
    if not folders:
        raise SystemExit(f"no submissions of {assignment} in {root / 'submitted'}")
    cluster = _Cluster(workers, scheduler)
    try:
        digests = {student: submission_digest(folder) for student, folder in folders.items()}
        marked = {s for s, d in digests.items()
                  if not force and already_graded(root, assignment, s, d)}
        lap("reading the submissions")
        if len(marked) < len(digests):
            cluster.start(warm=True)  # some are to be graded for sure: workers warm up meanwhile
        lap("starting the cluster")
        in_gradebook = _prepare_gradebook(root, assignment, course.db_url, log)
        todo = {s: d for s, d in digests.items() if s not in marked or s not in in_gradebook}
        results = [GradeResult(s, "skipped") for s in digests if s not in todo]
        lost = len(marked - in_gradebook)
        log(f"{assignment}: {len(folders)} submissions, {len(todo)} to grade, "
            f"{len(results)} unchanged since they were graded"
            + (f" ({lost} graded before but missing from this gradebook, graded again)"
               if lost else ""))
        if todo:
            client = cluster.start()
            with course.gradebook() as gb:
                asg = task.instructor_data(course, assignment, gb)
                gb.db.rollback()  # no read transaction held open while the workers grade
                lap("preparing the gradebook")
                witnesses = submit_canary(client, root, asg, extra_config) if canary else None
                jobs = {s: (folders[s], d) for s, d in todo.items()}
                results += _grade_all(client, gb, root, asg, jobs, extra_config, progress,
                                      lap, canary=witnesses, log=log)
                lap("grading (recording overlapped)")
    finally:
        cluster.close()
        lap("closing the cluster")
    return sorted(results, key=lambda r: r.student)


class _Laps:
    """Seconds since the previous lap, by name, into ``timings`` (if given)."""

    def __init__(self, timings: dict | None):
        self.timings, self.last = timings, time.perf_counter()

    def __call__(self, name: str, seconds: float | None = None) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            if seconds is None:
                seconds, self.last = now - self.last, now
            self.timings[name] = self.timings.get(name, 0.0) + seconds


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
            self.warming = [self.client.submit(task.warm_up, pure=False, workers=[w],
                                               allow_other_workers=False)
                            for w in self.client.scheduler_info()["workers"]]
        return self.client

    def close(self) -> None:
        self.warming = []
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _grade_all(client, gb, root: Path, asg: task.Assignment, jobs: dict,
               extra_config: dict | None, progress: bool, lap=None, canary: list | None = None,
               log=print) -> list[GradeResult]:
    """One task per submission of ``jobs`` (``{student: (folder, digest)}``); each outcome
    recorded as it comes (:func:`_record`); their results.

    ``canary`` holds the witnesses' futures (:func:`submit_canary`), if any: the students'
    tasks run beside them, and their verdict (:func:`run_canary`) is awaited before anything
    is written; if it fails, the students' tasks are cancelled and CanaryFailed raised.
    Then every submission of ``jobs`` is marked not graded (its marker removed, its scores
    emptied in one transaction) before the first outcome is recorded: a run cut short leaves
    none of them with a grade it did not earn."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        extensions = _extensions(gb, asg.name, jobs)
        gb.db.rollback()  # no read transaction held open while the workers grade
    except SQLAlchemyError as exc:
        return _unwritable(jobs, exc)
    run = uuid.uuid4().hex[:8]
    futures = {client.submit(task.grade, asg, task.Submission(
                   student, task.read_files(folder), extensions.get(student)), extra_config,
                   pure=False, key=f"grade-{asg.name}-{student}-{run}"): student
               for student, (folder, _) in jobs.items()}
    if lap is not None:
        lap("handing out the tasks")
    if canary is not None:
        try:
            run_canary(root, asg, canary, log)
        except CanaryFailed:
            client.cancel(list(futures))
            raise
        if lap is not None:
            lap("the canary (students graded meanwhile)")
    for student in jobs:
        _marker(root, asg.name, student).unlink(missing_ok=True)
    try:
        task.forget(gb, asg.name, jobs)
    except SQLAlchemyError as exc:
        client.cancel(list(futures))
        return _unwritable(jobs, exc)
    return _collect(gb, root, asg, jobs, futures, progress, lap)


def _unwritable(jobs: dict, exc: BaseException) -> list[GradeResult]:
    why = (f"{GraderFailure.marker}: the gradebook cannot be written, so nobody was "
           f"graded: {_short(exc)}")
    return [GradeResult(student, "failed", reason=why) for student in jobs]


def _collect(gb, root: Path, asg: task.Assignment, jobs: dict, futures: dict,
             progress: bool, lap=None) -> list[GradeResult]:
    """Record each outcome of ``futures`` (``{future: student}``) as it comes."""
    from distributed import as_completed
    from tqdm import tqdm

    results = []
    bar = tqdm(total=len(futures), unit="submission", disable=not progress,
               file=sys.stderr, desc=f"grading {asg.name}")
    for future in as_completed(futures):
        student = futures.pop(future)
        try:
            out = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker, an unexpected error
            out = task.Outcome(student, False, _why(exc))
        future.release()  # the outcome's files need not stay in the cluster's memory
        began = time.perf_counter()
        results.append(_record(gb, root, asg.name, out, jobs[student][1]))
        if lap is not None:
            lap("  of which recording results", time.perf_counter() - began)
        bar.update()
    bar.close()
    return results


def _extensions(gb, assignment: str, students) -> dict:
    """The deadline extensions the gradebook grants to ``students``."""
    return {s.student.id: s.extension for s in gb.assignment_submissions(assignment)
            if s.student.id in students and s.extension is not None}


def _record(gb, root: Path, assignment: str, out: task.Outcome, digest: str) -> GradeResult:
    """Write an outcome into the course: the autograded files, then the grades in one
    transaction, then the marker. A failure is recorded as not graded."""
    from sqlalchemy.exc import SQLAlchemyError

    folder = root / "autograded" / out.student / assignment
    if out.ok:
        try:
            task.write_files(folder, out.files)
            task.save_grades(gb, assignment, out)
        except (OSError, ValueError, SQLAlchemyError) as exc:
            out.ok = False
            out.reason = (f"{GraderFailure.marker}: its grades could not be recorded: "
                          f"{_short(exc)}")
        else:
            marker = _marker(root, assignment, out.student)
            tmp = marker.with_suffix(".tmp")
            tmp.write_text(json.dumps({"digest": digest, "seconds": round(out.seconds, 3),
                                       "faults": out.faults, "worker": out.worker,
                                       "peak_mb": out.peak_mb}))
            os.replace(tmp, marker)  # last: a run cut short leaves no marker behind
            return GradeResult(out.student, "graded", out.seconds, started=out.started,
                               faults=out.faults, worker=out.worker)
    shutil.rmtree(folder, ignore_errors=True)  # no graded notebook of a failed grading
    try:
        task.forget(gb, assignment, [out.student], create=True)
    except SQLAlchemyError as exc:
        out.reason += f" (and the gradebook could not mark it not graded: {_short(exc)})"
    return GradeResult(out.student, "failed", out.seconds, out.reason, started=out.started,
                       worker=out.worker)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


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
