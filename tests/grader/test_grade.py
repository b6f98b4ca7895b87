"""``python -m course.grader grade``: submissions graded in parallel on a Dask LocalCluster.

The same submissions, graded by plain serial ``nbgrader autograde`` in the session's run of
the assignment (``graded`` in conftest.py: the reference for the scores), are graded by
``course grade`` with two workers into other courses: one with the default SQLite gradebook,
one with a real PostgreSQL server that the test setup starts. The gradebooks must agree cell
by cell. A second run grades nothing, since nothing changed. A worker killed in the middle of
a submission leaves no grade of it behind, and the next run grades it.

These runs pass ``--no-canary``: what they compare is the grading itself, and the canary (which
adds two witnesses to every run) has tests of its own in
``test_grader_failures.py``.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import time

import cloudpickle
import nbformat
import postgres
import psutil
import pytest
from conftest import ASSIGNMENTS, MISTAKES, ROOT, graded_group, notebook_path, serial_class

from course.grader import gradebook, steps, submissions, task
from course.grader import parallel as grade
from course.grader.coursedir import Course
from course.grader.sandbox import bwrap

ASSIGNMENT = ASSIGNMENTS[0]
pytestmark = [
    pytest.mark.skipif(not bwrap.sandbox_available()[0],
                       reason=f"no sandbox here: {bwrap.sandbox_available()[1]}"),
    # the expected scores come from graded[ASSIGNMENT]: on the worker that grades it anyway
    pytest.mark.xdist_group(graded_group(ASSIGNMENT)),
]


def _course(dest, students):
    root = steps.scratch_course(ROOT, ASSIGNMENT, dest)
    submissions.submit(root, ASSIGNMENT, students)
    return root


@pytest.fixture(scope="module")
def serial(graded):
    """Five students' notebooks and the scores plain serial ``nbgrader autograde`` gave them,
    taken from the session's autograde run of the assignment (``graded``)."""
    students = ["reference", "blank", *(m.student for m in MISTAKES[ASSIGNMENT][:3])]
    return serial_class(graded[ASSIGNMENT], students)


@pytest.fixture(scope="module")
def parallel(serial, tmp_path_factory):
    root = _course(tmp_path_factory.mktemp("parallel"), serial[0])
    return root, _grade(root)


@pytest.fixture(scope="module")
def postgres_url():
    why = postgres.unavailable()
    if why:
        pytest.skip(why)
    server = postgres.Server()
    try:
        yield server.create_database("gradebook")
    finally:
        server.stop()


GRADE = [sys.executable, "-m", "course.grader", "grade", ASSIGNMENT, "--workers", "2",
         "--no-progress", "--no-canary"]


def _grade(root, *extra, env=None):
    return subprocess.run([*GRADE, *extra], cwd=root, capture_output=True, text=True,
                          timeout=600, env=env)


def test_two_workers_give_the_scores_of_serial_autograde(serial, parallel):
    root, run = parallel
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 graded, 0 skipped (unchanged), 0 failed" in run.stdout
    assert gradebook.read_scores(root, ASSIGNMENT) == serial[1]
    reference = notebook_path(root / "autograded" / "reference", ASSIGNMENT).read_text()
    assert "image/png" in reference  # figures are drawn unless --no-figures


def test_a_postgresql_gradebook_gets_the_same_scores(serial, postgres_url, tmp_path):
    """Check a PostgreSQL gradebook gets serial autograde's scores, and (``--no-figures``,
    which also makes this run faster) that no graded notebook holds a picture."""
    root = _course(tmp_path / "course", serial[0])
    (root / "gradebook.db").unlink()  # generate_assignment's; course grade adds it to Postgres
    run = _grade(root, "--db-url", postgres_url, "--no-figures")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 graded, 0 skipped (unchanged), 0 failed" in run.stdout
    assert gradebook.read_scores(root, ASSIGNMENT, postgres_url) == serial[1]
    assert not (root / "gradebook.db").exists()  # nor did anything read or write SQLite
    graded = sorted((root / "autograded").glob(f"*/{ASSIGNMENT}/*.ipynb"))
    assert len(graded) == 5
    pictures = [p.parent.parent.name for p in graded if "image/png" in p.read_text()]
    assert not pictures, f"--no-figures, yet these graded notebooks hold pictures: {pictures}"


def test_a_rerun_grades_nothing_new_unless_changed_or_missing_from_the_gradebook(parallel):
    root, _ = parallel
    again = _grade(root)
    assert again.returncode == 0 and "0 graded, 5 skipped" in again.stdout, again.stdout
    path = notebook_path(root / "submitted" / "blank", ASSIGNMENT)
    path.write_text(path.read_text().replace("YOUR CODE HERE", "YOUR CODE HERE (edited)", 1))
    changed = _grade(root)
    assert "1 graded, 4 skipped" in changed.stdout, changed.stdout
    # the markers say graded, but a new gradebook has none of it: it gets every grade
    other = f"sqlite:///{root / 'other.db'}"
    moved = _grade(root, "--db-url", other)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "5 graded before but missing from this gradebook" in moved.stdout, moved.stdout
    assert "5 graded, 0 skipped" in moved.stdout, moved.stdout
    assert gradebook.read_scores(root, ASSIGNMENT, other) == gradebook.read_scores(root, ASSIGNMENT)


def test_a_task_carries_what_grading_needs_and_no_path_into_the_course(parallel):
    """A worker may be on another machine: the task holds the submission's bytes (not what a
    link in it points to), the hidden tests (from the gradebook) and the configuration, and
    names no path of the course folder.
    Since a worker writes nothing of the course, a task Dask computes twice (its worker lost
    after it finished) can never record a grade twice: only the client records."""
    root, _ = parallel
    course = Course.at(root)
    with course.gradebook() as gb:
        asg = task.instructor_data(course, ASSIGNMENT, gb)
    folder = root / "submitted" / "reference" / ASSIGNMENT
    (folder / "peek.py").symlink_to(root / "nbgrader_config.py")  # a link carries nothing
    sub = task.Submission("reference", task.read_files(folder))
    assert "peek.py" not in sub.files
    payload = cloudpickle.dumps((asg, sub))
    assert str(root).encode() not in payload and str(root.name).encode() not in payload
    assert sub.files[f"{ASSIGNMENT}.ipynb"] == notebook_path(folder.parent, ASSIGNMENT).read_bytes()
    source = submissions.read(notebook_path(root / "source", ASSIGNMENT))
    hidden = [c.source for c in source.cells if "_hidden_test" in c.source]
    carried = {c["source"] for nb in asg.definition["notebooks"] for c in nb["source_cells"]}
    assert hidden and all(h in carried for h in hidden)
    assert asg.config.Autograde.exporter_class == "course.grader.faults.GradingExporter"
    assert "root" not in asg.config.CourseDirectory and "db_url" not in asg.config.CourseDirectory


HOLD = 97  # seconds the slow submission's helper process sleeps (under the 120 s cell limit)
SLOW_CELL = f"""import os, subprocess
if os.path.exists("hold"):  # only in the first run: the test kills this run's worker
    subprocess.run(["sleep", "{HOLD}"])"""


def _holding_worker(proc: psutil.Process) -> psutil.Process | None:
    """The worker process (a child of ``course grade``) under which the slow submission's
    ``sleep`` runs: found by what it runs, not by when, so a slow machine cannot mislead it."""
    def is_hold(p: psutil.Process) -> bool:
        try:
            return p.cmdline() == ["sleep", str(HOLD)]
        except psutil.Error:  # ended meanwhile, or a zombie not yet reaped
            return False

    for child in proc.children():
        try:
            if any(is_hold(p) for p in child.children(recursive=True)):
                return child
        except psutil.Error:
            continue
    return None


def test_a_worker_killed_mid_run_leaves_no_grade_and_the_next_run_grades_it(serial, tmp_path):
    students, scores = serial
    slow = copy.deepcopy(students["reference"])
    slow.cells.insert(0, nbformat.v4.new_code_cell(SLOW_CELL))
    root = _course(tmp_path / "course", {"reference": students["reference"],
                                         "blank": students["blank"], "slow": slow})
    hold = notebook_path(root / "submitted" / "slow", ASSIGNMENT).parent / "hold"
    hold.write_text("")
    # Dask retries a task whose worker died (distributed.scheduler.allowed-failures, 3 by
    # default), which would grade it again within this run; 0 shows the failure instead
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0")
    proc = subprocess.Popen(GRADE, cwd=root, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    # killed as soon as the slow one's sleep is seen, however loaded the machine. Dask may
    # have queued another submission on that worker (three tasks are too few for its queue to
    # hand one at a time): that one fails with it, and must be left as ungraded as "slow"
    deadline = time.monotonic() + 300
    victim = None
    while victim is None and time.monotonic() < deadline and proc.poll() is None:
        victim = _holding_worker(psutil.Process(proc.pid))
        time.sleep(0.2)
    if victim is None:
        proc.kill()
    assert victim is not None, "no worker was grading the slow submission: " + (
        proc.communicate()[0] or "")
    os.kill(victim.pid, signal.SIGKILL)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1, output
    failed = sorted(re.findall(r"FAILED (\w+): the worker grading it died", output))
    assert "slow" in failed, output
    assert f"{3 - len(failed)} graded, 0 skipped (unchanged), {len(failed)} failed" in output
    # no half-written grade: no marker, and no score of this run in the gradebook
    for student in failed:
        assert not grade._marker(root, ASSIGNMENT, student).exists(), student
        with Course.at(root).gradebook() as gb:
            sub = gb.find_submission(ASSIGNMENT, student)
            auto = [g.auto_score for nb in sub.notebooks for g in nb.grades]
        assert auto and all(a is None for a in auto), (student, auto)

    hold.unlink()  # the same notebook, which no longer waits
    rerun = _grade(root)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert (f"{len(failed)} graded, {3 - len(failed)} skipped (unchanged), 0 failed"
            in rerun.stdout), rerun.stdout
    after = gradebook.read_scores(root, ASSIGNMENT)
    assert after["slow"] == scores["reference"]
    assert {s: after[s] for s in ("reference", "blank")} == {s: scores[s] for s in
                                                             ("reference", "blank")}
    assert json.loads(grade._marker(root, ASSIGNMENT, "slow").read_text())["faults"] == []


def test_the_grading_benchmark_prints_its_figures():
    """The figures themselves are for people to read (no test asserts a time); this shows
    that every run of the benchmark happens, grades everything and is reported."""
    run = subprocess.run([sys.executable, "-m", "course.grader", "bench", "grading",
                          "--students", "2", "--rounds", "1", "--assignment", ASSIGNMENT], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    seconds = dict(re.findall(r"^\s+(\S.*?\S)\s+([\d.]+) s$", run.stdout, re.M))
    assert set(seconds) == {"raw execution (nbclient)", "nbgrader autograde (serial)",
                            "course grade, 1 worker", "course grade, 2 workers",
                            "the same, tests run in the kernel"}, run.stdout
    assert all(float(s) > 0 for s in seconds.values()), run.stdout
    for ratio in ("1 worker / raw execution:", "speed-up of 2 workers over 1:"):
        assert re.search(re.escape(ratio) + r"\s+x\d+\.\d\d", run.stdout), run.stdout
