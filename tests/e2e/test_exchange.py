"""nbgrader's exchange loop on one machine, with two real student accounts.

The instructor releases an assignment into an exchange folder; two students, each a real
OS user with a home of their own (nbgrader takes the student id from the OS user), fetch it,
answer it and submit; the instructor collects, autogrades, generates and releases feedback;
each student fetches their feedback.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import ASSIGNMENTS, ROOT, notebook_path

from course.grader import demo, gradebook, steps, submissions
from course.grader.coursedir import Course

STUDENTS = ("course-student-a", "course-student-b")
COURSE_ID = Course.at(ROOT).config.CourseDirectory.course_id


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True)
        return pwd.getpwnam(name)


def _student_python(world: Path) -> Path:
    """A Python the student accounts can run, with the project's very packages.

    The project's environment may sit in a folder only root can enter (a clone in a
    ``mktemp -d`` folder, mode 0700, or under ``/root``), so the students can neither run its
    interpreter nor read its site-packages. They get a venv of Debian's python3.11 (the same
    CPython minor version) whose site-packages is a hard-linked copy of the project's (a plain
    copy across file systems): the same nbgrader, reachable through ``world`` alone."""
    system_python = Path("/usr/bin/python3.11")
    if sys.version_info[:2] != (3, 11) or not system_python.exists():
        pytest.skip("needs Debian's python3.11 for the student accounts")
    env_dir = world / "student-env"
    subprocess.run([str(system_python), "-m", "venv", "--without-pip", str(env_dir)], check=True)
    site_packages = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    copy = world / "student-site-packages"
    linked = subprocess.run(["cp", "-al", str(site_packages), str(copy)], capture_output=True)
    if linked.returncode != 0:  # another file system: copy instead
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(site_packages, copy, symlinks=True)
    (env_dir / "lib" / "python3.11" / "site-packages" / "course-env.pth").write_text(
        f"import site; site.addsitedir({str(copy)!r})\n")
    return env_dir / "bin" / "python"


def _as_student(user: pwd.struct_passwd, home: Path, *args: str) -> str:
    python = home.parent / "student-env" / "bin" / "python"
    env = {"HOME": str(home), "USER": user.pw_name, "LOGNAME": user.pw_name,
           "PATH": f"{python.parent}{os.pathsep}/usr/bin:/bin", "LANG": "C.UTF-8"}
    proc = subprocess.run([str(python), "-m", "nbgrader", *args, f"--course={COURSE_ID}",
                           f"--Exchange.root={home.parent / 'exchange'}"],
                          cwd=home, env=env, user=user.pw_uid, group=user.pw_gid,
                          extra_groups=[], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{user.pw_name}: nbgrader {' '.join(args)}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.fixture
def world():
    """A scratch folder other users can enter: exchange, course and two student homes."""
    if os.geteuid() != 0:
        pytest.skip("the exchange test creates two student accounts and needs root")
    base = Path(tempfile.mkdtemp(prefix="course-exchange-"))
    base.chmod(0o755)
    (base / "exchange").mkdir(mode=0o777)
    (base / "exchange").chmod(0o777)
    _student_python(base)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_release_fetch_submit_collect_grade_and_return_feedback(world):
    assignment = ASSIGNMENTS[0]
    course = steps.scratch_course(ROOT, assignment, world / "course")
    exchange = [f"--Exchange.root={world / 'exchange'}"]

    def instructor(*args):
        return steps.nbgrader([*args, *exchange], course)

    instructor("release_assignment", assignment, "--force")

    source = submissions.read(notebook_path(course / "source", assignment))
    mistakes, _ = submissions.load_mistakes(course / "source" / assignment)
    answers = {}
    for name in STUDENTS:
        user = _ensure_user(name)
        home = world / name
        home.mkdir()
        os.chown(home, user.pw_uid, user.pw_gid)
        out = _as_student(user, home, "fetch_assignment", assignment)
        fetched = notebook_path(home, assignment)
        assert fetched.is_file(), out
        # student a answers with the reference, student b makes the first typical mistake
        nb = submissions.reference_submission(submissions.read(fetched), source)
        if name == STUDENTS[1]:
            nb = submissions.apply_mistake(nb, mistakes[0])
        submissions.write(nb, fetched)
        os.chown(fetched, user.pw_uid, user.pw_gid)
        answers[name] = nb
        _as_student(user, home, "submit", assignment)

    instructor("collect", assignment)
    for name in STUDENTS:
        assert notebook_path(course / "submitted" / name, assignment).is_file()
    instructor("autograde", assignment, "--force")
    # the instructor grades the written answers (both students wrote the model answers)
    assert demo.grade_model_answers(course, assignment) == {}
    instructor("generate_feedback", assignment, "--force")
    instructor("release_feedback", assignment)

    scores = gradebook.read_scores(course, assignment)
    full = scores[STUDENTS[0]]["max_score"]
    assert scores[STUDENTS[0]]["score"] == full
    assert 0 < scores[STUDENTS[1]]["score"] < full

    for name in STUDENTS:
        user = pwd.getpwnam(name)
        home = world / name
        _as_student(user, home, "fetch_feedback", assignment)
        pages = list((home / assignment / "feedback").glob(f"*/{assignment}.html"))
        assert len(pages) == 1, f"{name} has feedback pages {pages}"
        html = pages[0].read_text()
        # the page's first score line is the notebook's total
        first = html[html.index("Score: "):].split(")")[0]
        assert first == f"Score: {scores[name]['score']:.1f} / {full:.1f}", first
