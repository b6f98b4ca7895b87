"""A grading task that carries everything it needs, and what it brings back.

A Dask worker of ``python -m course.grader grade`` may run on another machine, with no view
of the course folder or the gradebook. So a task holds, as plain data:

* :class:`Assignment`: what the instructor made, the same for every student: the course's
  nbgrader configuration, the assignment's definition read from the gradebook (its notebooks
  and their grade, solution, task and source cells: the hidden tests nbgrader restores), the
  files ``source/<assignment>/`` adds to every submission, and the release notebooks (the
  stand-in for a submission nbgrader cannot read);
* :class:`Submission`: one student's submitted files, as bytes;

and :func:`grade` (the worker's side) rebuilds a private course from them in a scratch
folder of its own, with a SQLite gradebook holding only that assignment, runs nbgrader's
``autograde`` there (the sandbox and the judge work as they always do), and returns an
:class:`Outcome`: the autograded folder's files, each cell's grade and comment, the late
penalty, the faults, or why grading failed. Nothing of the worker's scratch folder survives
the task.

The client (:mod:`course.grader.parallel`) writes an outcome into the course: the files into
``autograded/<student>/<assignment>/`` (:func:`write_files`), then the grades into the real
gradebook, SQLite or PostgreSQL, in one transaction (:func:`save_grades`).
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from course.grader.coursedir import Course, default_db_url
from course.grader.errors import GraderFailure

__all__ = ["Assignment", "Outcome", "Submission", "forget", "grade", "instructor_data",
           "make_gradebook", "read_files", "save_grades", "write_files"]


@dataclass
class Assignment:
    """What every task of one assignment needs from the instructor's side."""

    name: str
    course_id: str
    config: object  # the course's traitlets Config (nbgrader_config.py), paths left out
    definition: dict  # the gradebook's rows of the assignment (:func:`_definition`)
    source_files: dict[str, bytes]  # copied by nbgrader into every autograded folder
    release_files: dict[str, bytes]  # the release notebooks
    schema: str = ""  # the gradebook's alembic version (nbgrader's schema)
    key: str = ""  # a digest of all of the above: the worker's cache of its gradebook


@dataclass
class Submission:
    """One student's submitted files (paths relative to the submission folder)."""

    student: str
    files: dict[str, bytes]
    extension: object = None  # the gradebook's extension of the deadline (a timedelta)


@dataclass
class Outcome:
    """What grading one submission produced, or why it failed (``reason``)."""

    student: str
    ok: bool
    reason: str = ""
    seconds: float = 0.0  # the worker's time for it, unpacking and reading back included
    started: float = 0.0  # time.time() when the worker began it
    files: dict[str, bytes] = field(default_factory=dict)  # the autograded folder
    timestamp: object = None  # the submission's timestamp, as nbgrader read it
    notebooks: dict[str, dict] = field(default_factory=dict)  # name -> grades, comments, late
    faults: list[str] = field(default_factory=list)
    worker: str = ""  # the address of the worker that graded it
    peak_mb: dict = field(default_factory=dict)  # "worker": its peak resident MiB so far


def _peaks() -> dict:
    """Peak resident memory so far of this worker process, in MiB. (Its kernels' peaks are
    not here: Linux reports a child's peak as at least its parent's size when it forked.)"""
    import resource

    return {"worker": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def read_files(folder: Path) -> dict[str, bytes]:
    """``{relative path: bytes}`` of every file below ``folder``. Symbolic links are left
    out: a link in a submission must not carry the file it points to into a task."""
    folder = Path(folder)
    real = folder.resolve()
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and real in p.resolve().parents}


def _write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = (folder / rel).resolve()
        if folder.resolve() not in path.parents:  # a name like ../x from a hostile payload
            raise ValueError(f"file {rel!r} would land outside {folder}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# ------------------------------------------------------------------------------------------
# the client's side: what a task carries


def _definition(gb, name: str) -> dict:
    """The gradebook's rows of assignment ``name``, as plain data."""
    asg = gb.find_assignment(name)
    return {"duedate": asg.duedate, "notebooks": [{
        "name": nb.name, "kernelspec": nb.kernelspec,
        "grade_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                        for c in nb.grade_cells],
        "solution_cells": [c.name for c in nb.solution_cells],
        "task_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                       for c in nb.task_cells],
        "source_cells": [{"name": c.name, "cell_type": c.cell_type, "locked": c.locked,
                          "source": c.source, "checksum": c.checksum}
                         for c in nb.source_cells]} for nb in asg.notebooks]}


def instructor_data(course: Course, name: str, gb) -> Assignment:
    """The :class:`Assignment` of ``name`` in ``course``, its definition read from the open
    gradebook ``gb``."""
    from nbgrader import utils

    config = course.config
    config.CourseDirectory.pop("root", None)
    config.CourseDirectory.pop("db_url", None)  # the worker's own gradebook is SQLite
    ignore = list(config.CourseDirectory.get("ignore", [".ipynb_checkpoints", "*.pyc",
                                                        "__pycache__", "feedback"]))
    source = course.root / "source" / name
    keep_out = {str(source / x) for x in
                config.get("Autograde", {}).get("exclude_overwriting", {}).get(name, [])}
    source_files = {} if not source.is_dir() else {
        os.path.relpath(p, source): Path(p).read_bytes()
        for p in sorted(utils.find_all_files(str(source), [*ignore, "*.ipynb"]))
        if p not in keep_out}
    release = course.root / "release" / name
    release_files = {p.name: p.read_bytes() for p in sorted(release.glob("*.ipynb"))}
    from sqlalchemy import text

    schema = gb.db.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""
    asg = Assignment(name, course.course_id, config, _definition(gb, name), source_files,
                     release_files, schema)
    asg.key = hashlib.sha256(pickle.dumps((asg.name, asg.course_id, asg.definition,
                                           asg.source_files, asg.release_files))).hexdigest()
    return asg


def make_gradebook(db_url: str, asg: Assignment) -> None:
    """Write the assignment's definition into the (new) gradebook at ``db_url``, as
    ``nbgrader generate_assignment`` would, in one transaction."""
    from nbgrader.api import Gradebook

    from course.grader.preprocessors.save_at_once import one_transaction

    if asg.schema:
        _make_schema(db_url, asg.schema)
    with Gradebook(db_url, course_id=asg.course_id) as gb, one_transaction(gb):
        gb.update_or_create_assignment(asg.name, duedate=asg.definition["duedate"])
        for nb in asg.definition["notebooks"]:
            gb.update_or_create_notebook(nb["name"], asg.name, kernelspec=nb["kernelspec"])
            for cell in nb["grade_cells"]:
                gb.update_or_create_grade_cell(cell["name"], nb["name"], asg.name,
                                               max_score=cell["max_score"],
                                               cell_type=cell["cell_type"])
            for cell in nb["solution_cells"]:
                gb.update_or_create_solution_cell(cell, nb["name"], asg.name)
            for cell in nb["task_cells"]:
                gb.update_or_create_task_cell(cell["name"], nb["name"], asg.name,
                                              max_score=cell["max_score"],
                                              cell_type=cell["cell_type"])
            for cell in nb["source_cells"]:
                gb.update_or_create_source_cell(cell["name"], nb["name"], asg.name, **{
                    k: v for k, v in cell.items() if k != "name"})


def _make_schema(db_url: str, version: str) -> None:
    """nbgrader's tables and alembic version, as ``Gradebook`` makes them in a new database,
    but with the version read from the course's gradebook: ``Gradebook`` would ask a new
    ``alembic`` process for it, seconds on a busy machine."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            Base.metadata.create_all(bind=conn)
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                         {"v": version})
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------
# the worker's side

_TEMPLATES: dict[str, Path] = {}  # Assignment.key -> a gradebook holding only its definition


def warm_up() -> float:
    """Import what grading needs (runs once in each new worker); the seconds it took."""
    started = time.perf_counter()
    import nbgrader.apps  # noqa: F401

    import course.grader.preprocessors.execute  # noqa: F401

    quiet_gradebook()
    return time.perf_counter() - started


def quiet_gradebook() -> None:
    """nbgrader's ``update_or_create_submission`` autoflushes a half-built submission and
    SQLAlchemy warns about it for every new student; the rows are added right after."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", message="Object of type <Submitted", category=SAWarning)


def _scratch_base() -> Path:
    """The worker's own folder for scratch courses: Dask's local directory of this worker
    (under its temporary folder), else the temporary folder."""
    try:
        from distributed import get_worker

        base = Path(get_worker().local_directory) / "grading"
    except (ImportError, ValueError):
        base = Path(tempfile.gettempdir()) / f"course-grading-{os.getpid()}"
    base.mkdir(parents=True, exist_ok=True)
    return base


def _template(asg: Assignment) -> Path:
    """A gradebook file holding the assignment's definition, made once per worker."""
    path = _TEMPLATES.get(asg.key)
    if path is None or not path.is_file():
        path = _scratch_base() / f"template-{asg.key[:16]}.db"
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        make_gradebook(f"sqlite:///{partial}", asg)
        os.replace(partial, path)
        _TEMPLATES[asg.key] = path
    return path


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return ""


def grade(asg: Assignment, sub: Submission, extra_config: dict | None = None) -> Outcome:
    """Autograde one submission in a private scratch course (runs in a Dask worker)."""
    began, started = time.time(), time.perf_counter()
    warm_up()
    scratch = Path(tempfile.mkdtemp(prefix="course-", dir=_scratch_base()))
    try:
        url = _unpack(scratch, asg, sub)
        result = _autograde(scratch, url, asg, sub.student, extra_config)
        if result.get("success"):
            out = _read_back(scratch, url, asg, sub.student)
        else:
            out = Outcome(sub.student, False, failure_reason(result))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out.seconds, out.started = time.perf_counter() - started, began
    out.worker, out.peak_mb = _worker_address(), _peaks()
    return out


def _unpack(scratch: Path, asg: Assignment, sub: Submission) -> str:
    """Lay the course out in ``scratch``; the URL of its gradebook."""
    _write_tree(scratch / "source" / asg.name, asg.source_files)
    _write_tree(scratch / "release" / asg.name, asg.release_files)
    _write_tree(scratch / "submitted" / sub.student / asg.name, sub.files)
    shutil.copy(_template(asg), scratch / "gradebook.db")
    url = default_db_url(scratch)
    if sub.extension is not None:
        from nbgrader.api import Gradebook

        with Gradebook(url, course_id=asg.course_id) as gb:
            gb.update_or_create_student(sub.student)
            gb.update_or_create_submission(asg.name, sub.student, extension=sub.extension)
    return url


def _autograde(scratch: Path, url: str, asg: Assignment, student: str,
               extra_config: dict | None) -> dict:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")  # alembic
    config = copy.deepcopy(asg.config)
    config.CourseDirectory.root = str(scratch)
    config.CourseDirectory.db_url = url
    for section, values in (extra_config or {}).items():
        for key, value in values.items():
            config[section][key] = value
    coursedir = CourseDirectory(config=config, root=str(scratch))
    api = NbGraderAPI(coursedir=coursedir, config=config)
    return api.autograde(asg.name, student, force=True, create=True)


def _read_back(scratch: Path, url: str, asg: Assignment, student: str) -> Outcome:
    """The outcome of a successful autograde in ``scratch``."""
    import nbformat
    from nbgrader.api import Gradebook

    folder = scratch / "autograded" / student / asg.name
    faults = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        faults += [f"{path.stem}: {f}" for f in nb.metadata.get("course_grading", {}).get(
            "faults", [])]
    with Gradebook(url, course_id=asg.course_id) as gb:
        sub = gb.find_submission(asg.name, student)
        notebooks = {nb.name: {
            "grades": {g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades},
            "comments": {c.name: c.auto_comment for c in nb.comments},
            "late_penalty": nb.late_submission_penalty} for nb in sub.notebooks}
        timestamp = sub.timestamp
    return Outcome(student, True, files=read_files(folder), timestamp=timestamp,
                   notebooks=notebooks, faults=faults)


def failure_reason(result: dict) -> str:
    """The cause of a failed ``NbGraderAPI.autograde``: the grader failure's own message
    (:class:`course.grader.errors.GraderFailure`) if its log holds one, else the log's end."""
    import re

    text = "\n".join(str(result.get(k) or "") for k in ("log", "error")).strip()
    for line in text.splitlines():
        if GraderFailure.marker in line:
            return line[line.index(GraderFailure.marker):][:500]
    # else the innermost exception of the traceback nbgrader logged (nbgrader's own
    # NbGraderException only says "see the log")
    raised = [ln.strip() for ln in text.splitlines()
              if re.match(r"\s*[\w.]+(Error|Exception|Failure|Exit): ", ln)
              and "NbGraderException" not in ln]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return (raised[-1] if raised else lines[-1] if lines
            else "nbgrader failed without a message")[:500]


# ------------------------------------------------------------------------------------------
# the client's side: what a task brought back


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Make ``folder`` hold exactly ``files``: written beside it, then swapped in."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        _write_tree(fresh, files)
        if folder.exists():
            old = folder.with_name(f".{folder.name}-old-{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(fresh, folder)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def save_grades(gb, assignment: str, out: Outcome) -> None:
    """Write an outcome's grades into the open gradebook ``gb`` in one transaction.

    The scores are the worker's; nbgrader's rule for ``needs_manual_grade`` is kept: a cell
    a person graded before stays flagged for review."""
    from course.grader.preprocessors.save_at_once import one_transaction

    with one_transaction(gb):
        gb.update_or_create_student(out.student)
        when = {"timestamp": out.timestamp} if out.timestamp is not None else {}
        sub = gb.update_or_create_submission(assignment, out.student, **when)
        for nb in sub.notebooks:
            got = out.notebooks.get(nb.name)
            if got is None:  # a notebook the worker's autograde skipped: nothing earned
                _empty(nb)
                continue
            for g in nb.grades:
                auto, review = got["grades"].get(g.name, (None, True))
                g.auto_score = auto
                g.needs_manual_grade = bool(review or g.manual_score is not None)
            for c in nb.comments:
                c.auto_comment = got["comments"].get(c.name)
            nb.late_submission_penalty = got["late_penalty"]


def _empty(nb) -> None:
    for g in nb.grades:
        g.auto_score = None
        g.needs_manual_grade = True


def forget(gb, assignment: str, students, create: bool = False) -> None:
    """Empty the autograder scores of ``students``'s submissions (one transaction): they are
    *not graded* until new grades are saved. ``create`` adds a submission that is missing,
    so a failed one is listed as not graded rather than absent."""
    from nbgrader.api import MissingEntry

    from course.grader.preprocessors.save_at_once import one_transaction

    with one_transaction(gb):
        for student in students:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                if not create:
                    continue
                gb.update_or_create_student(student)
                sub = gb.update_or_create_submission(assignment, student)
            for nb in sub.notebooks:
                _empty(nb)
