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

from course.grader.errors import StepFailed

__all__ = ["StepFailed", "cell_failures", "nbgrader", "scratch_course"]


def _env() -> dict:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


# nbgrader's own console script (``nbgrader.apps.nbgraderapp:main``), run by this environment's
# Python with -P (as a console script, nothing of the working folder is importable), minus
# jsonschema's IRI grammar: 1.5 s of CPU at every start for a format no nbgrader schema uses
# (see course/grader/__init__.py)
NBGRADER_MAIN = ("import sys; sys.modules.setdefault('rfc3987_syntax', None); "
                 "sys.argv[0] = 'nbgrader'; "
                 "from nbgrader.apps.nbgraderapp import main; sys.exit(main())")


def nbgrader(args: list[str], root: Path, *, log: Path | None = None,
             timeout: float | None = None) -> str:
    """Run ``nbgrader ARGS`` in the course folder ``root`` and return its output.

    Raises :class:`StepFailed` with the last lines of the output if it fails.
    The whole output is also written to ``log`` when given.
    """
    cmd = [sys.executable, "-P", "-c", NBGRADER_MAIN, *args]
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
