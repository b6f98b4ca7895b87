"""The student distribution: ``course`` without ``course.grader``, and enough for every notebook.

``python3 tasks.py student-wheel`` writes a wheel of the package without its grader. Here it
is installed with pip into a new virtual environment that sees the project's third-party
packages (numpy, matplotlib, ipykernel, ...) but not the project's own ``course``; a kernel
of that environment then runs every release notebook, answered with the reference solutions,
visible tests included. Nothing of the grader may be needed, or be there.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import ASSIGNMENTS, ROOT, notebook_path
from nbclient import NotebookClient

from course.grader import submissions
from course.grader.student_dist import build_wheel, student_files

KERNEL = "course-student-dist"


@pytest.fixture(scope="module")
def student_env(tmp_path_factory):
    """(python, wheel) of a new venv with only the student wheel of ``course`` installed."""
    base = tmp_path_factory.mktemp("student-dist")
    wheel = build_wheel(base / "dist")
    env = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    site = env / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / \
        "site-packages"
    ours = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    # a plain path line: the project's packages are importable, but the .pth files there
    # (the project's own editable `course` among them) are not run
    (site / "project-packages.pth").write_text(f"{ours}\n")
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--python",
                    str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
                   check=True)
    return python, wheel


def _probe(python: Path, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                          cwd="/", timeout=120, env={"PATH": "/usr/bin:/bin"})


def test_the_wheel_holds_the_students_modules_and_no_grader(student_env):
    _, wheel = student_env
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("course/grader")], names
    for module in ("__init__", "checks", "testcells", "hints", "data", "plots", "widgets",
                   "playground", "live"):
        assert f"course/{module}.py" in names
    assert "course/static/live.js" in names
    assert len([n for n in names if n.startswith("course/")]) == len(student_files())


def test_the_installed_course_is_the_wheels_and_has_no_grader(student_env):
    python, _ = student_env
    where = _probe(python, "import course, os; print(os.path.dirname(course.__file__))")
    assert where.returncode == 0, where.stderr
    assert "site-packages" in where.stdout and str(ROOT) not in where.stdout, where.stdout
    grader = _probe(python, "import course.grader")
    assert grader.returncode != 0 and "No module named 'course.grader'" in grader.stderr


@pytest.fixture(scope="module")
def student_kernel(student_env, tmp_path_factory, monkeypatch_module):
    python, _ = student_env
    kernels = tmp_path_factory.mktemp("jupyter") / "kernels" / KERNEL
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "course (student distribution)", "language": "python"}))
    monkeypatch_module.setenv("JUPYTER_PATH", str(kernels.parent.parent))
    monkeypatch_module.delenv("PYTHONPATH", raising=False)
    return KERNEL


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_release_notebook_runs_with_only_the_student_distribution(student_kernel, assignment,
                                                                    tmp_path):
    release = submissions.read(notebook_path(ROOT / "release", assignment))
    source = submissions.read(notebook_path(ROOT / "source", assignment))
    nb = submissions.reference_submission(release, source)
    nb.cells.append(nbformat.v4.new_code_cell("import course, sys; print(course.__file__, "
                                              "'course.grader' in sys.modules)"))
    NotebookClient(nb, timeout=300, kernel_name=student_kernel, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{assignment} fails with only the student distribution: {errors[:3]}"
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "site-packages" in text and text.strip().endswith("False"), text
