"""Thin wrappers around the real nbgrader commands and gradebook of a course folder.

Each command runs as ``nbgrader ...`` in a subprocess from the course root, so
nbgrader reads the course's own ``nbgrader_config.py`` exactly as it does when
an instructor types the command.  The Python environment's ``bin/`` is put
first on ``PATH`` because nbgrader starts ``alembic`` as a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["StepFailed", "cell_failures", "course_config", "nbgrader", "read_scores",
           "scratch_course"]


class StepFailed(RuntimeError):
    """An nbgrader command exited non-zero; the message holds the end of its log."""


def _env() -> dict:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def nbgrader(args: list[str], root: Path, *, log: Path | None = None,
             timeout: float | None = None) -> str:
    """Run ``nbgrader ARGS`` in the course folder ``root`` and return its output.

    Raises :class:`StepFailed` with the last lines of the output if it fails.
    The whole output is also written to ``log`` when given.
    """
    cmd = [str(Path(sys.executable).parent / "nbgrader"), *args]
    try:
        proc = subprocess.run(cmd, cwd=root, env=_env(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise StepFailed(f"`nbgrader {' '.join(args)}` did not finish in {timeout:.0f} s") from exc
    output = proc.stdout + proc.stderr
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a") as fh:
            fh.write(f"$ nbgrader {' '.join(args)}\n{output}\n")
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-25:])
        raise StepFailed(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}) in "
                         f"{root}:\n{tail}")
    return output


def scratch_course(root: Path, assignment: str, dest: Path) -> Path:
    """Make ``dest`` a course folder with ``root``'s nbgrader config and one assignment, whose
    release ``nbgrader generate_assignment`` has built. Returns ``dest``."""
    (Path(dest) / "source").mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(root) / "nbgrader_config.py", dest)
    shutil.copytree(Path(root) / "source" / assignment, Path(dest) / "source" / assignment)
    nbgrader(["generate_assignment", assignment, "--force"], Path(dest))
    return Path(dest)


def course_config(root: Path):
    """The traitlets config that ``nbgrader_config.py`` in ``root`` defines."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def _gradebook(root: Path, db_url: str | None = None):
    from nbgrader.api import Gradebook

    from course.gradebook import db_url as course_db_url

    course_id = course_config(root).CourseDirectory.get("course_id", "default_course")
    return Gradebook(course_db_url(root, db_url), course_id=course_id)


def read_scores(root: Path, assignment: str, db_url: str | None = None) -> dict[str, dict]:
    """Scores of every autograded submission of ``assignment`` in the gradebook (the course's
    own, or the one at ``db_url``).

    Returns ``{student: {"score": float, "max_score": float, "graded": bool,
    "cells": {grade_id: (score, max_score)}, "written": {grade_id: (score, max_score)},
    "to_grade": [grade_id, ...]}}``. ``cells`` holds the autograded test cells; ``written``
    the written answers, graded by a person (``score`` is None while one waits, and
    ``to_grade`` lists those); ``score`` is nbgrader's sum, in which a written answer still
    to grade counts 0. ``graded`` is False for a submission the autograder has not scored
    (its grading failed or never finished): its ``score`` is then no grade at all, whatever
    nbgrader's sum says.
    """
    from course.gradebook import autograded, is_written, to_grade

    out: dict[str, dict] = {}
    with _gradebook(root, db_url) as gb:
        for sub in gb.assignment_submissions(assignment):
            waiting = to_grade(sub)
            cells: dict[str, tuple[float, float]] = {}
            written: dict[str, tuple[float | None, float]] = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if is_written(grade):
                        score = None if grade.name in waiting else float(grade.score)
                        written[grade.name] = (score, float(grade.max_score))
                    else:
                        cells[grade.name] = (float(grade.score), float(grade.max_score))
            out[sub.student_id] = {"score": float(sub.score), "max_score": float(sub.max_score),
                                   "graded": autograded(sub), "cells": cells,
                                   "written": written, "to_grade": waiting}
    return out


def cell_failures(notebook_path: Path) -> dict[str, str]:
    """Why each failing grade cell of an autograded notebook failed: error or stderr text."""
    import nbformat

    nb = nbformat.read(str(notebook_path), as_version=4)
    reasons = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                reasons[meta["grade_id"]] = f"{out.ename}: {out.evalue}"
                break
            if out.output_type == "stream" and out.name == "stderr":
                reasons[meta["grade_id"]] = f"stderr: {out.text.strip()[:300]}"
                break
    return reasons
