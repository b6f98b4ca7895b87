#!/usr/bin/env python3
"""Run a project task in the project's own environment, creating it first if needed.

    python3 tasks.py demo    build the release, autograde sample submissions, print grades
                             (installs bubblewrap first if it can: grading is sandboxed)
    python3 tasks.py test    run the test suite (extra arguments go to pytest)
    python3 tasks.py lab     start JupyterLab on the course
    python3 tasks.py lint    ruff over the package, the tests and the notebooks
    python3 tasks.py student-wheel [DEST]
                             the student distribution: course without course.grader

Needs only Python 3.11 and pip. ``.venv/`` is created, or refreshed when
requirements.txt or pyproject.toml changed since it was last set up. ``test`` also installs
the Debian packages the tests drive for real (Chromium for the browser tests, bubblewrap
for the grading sandbox, PostgreSQL for a shared gradebook) when run as root on Debian, as
CI does.
"""

from __future__ import annotations

import glob
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".installed-from"


def _fingerprint() -> str:
    h = hashlib.sha256(sys.version.encode())
    for name in ("requirements.txt", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def _run(cmd: list[str], **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def ensure_venv() -> None:
    """Create or refresh .venv so it holds exactly what requirements.txt pins."""
    want = _fingerprint()
    if STAMP.is_file() and STAMP.read_text() == want and (BIN / "python").exists():
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [BIN / "python", "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "install", "--quiet", "-r", "requirements.txt"])
    _run([*pip, "install", "--quiet", "--no-deps", "-e", "."])
    STAMP.write_text(want)


# Debian packages the test suite drives for real, and a file each one installs (a glob).
SYSTEM_PACKAGES = {"chromium": "/usr/bin/chromium", "chromium-driver": "/usr/bin/chromedriver",
                   "bubblewrap": "/usr/bin/bwrap",
                   "postgresql": "/usr/lib/postgresql/*/bin/initdb"}


def ensure_system_packages() -> None:
    """Install the missing Debian packages with apt-get (root only; otherwise say what to do)."""
    missing = [name for name, path in SYSTEM_PACKAGES.items() if not glob.glob(path)]
    if not missing:
        return
    if os.geteuid() != 0 or not Path("/usr/bin/apt-get").exists():
        print(f"note: Debian packages {' '.join(missing)} are missing and this is not root with "
              f"apt-get: install them (sudo apt-get install {' '.join(missing)}), or the tests "
              f"that need them are skipped", flush=True)
        return
    apt_env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-qq"], env=apt_env)
    _run(["apt-get", "install", "-y", "-qq", *missing], env=apt_env, stdout=subprocess.DEVNULL)


def env() -> dict:
    e = dict(os.environ)
    e["PATH"] = str(BIN) + os.pathsep + e.get("PATH", "")
    e["VIRTUAL_ENV"] = str(VENV)
    e.pop("PYTHONPATH", None)
    return e


TASKS = {
    "demo": lambda args: [BIN / "python", "-m", "course.grader", "demo", *args],
    "test": lambda args: [BIN / "python", "-m", "pytest", *args],
    # JupyterLab refuses to run as root unless told to (containers often run as root)
    "lab": lambda args: [BIN / "jupyter", "lab", *(["--allow-root"] if os.geteuid() == 0 else []),
                         *args],
    "lint": lambda args: [BIN / "ruff", "check", ".", *args],
    "student-wheel": lambda args: [BIN / "python", "-m", "course.grader.student_dist", *args],
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in TASKS:
        print(__doc__)
        return 2
    ensure_venv()
    if argv[0] in ("test", "demo"):
        ensure_system_packages()
    cmd = [str(c) for c in TASKS[argv[0]](argv[1:])]
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=env())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
