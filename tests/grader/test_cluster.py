"""``course grade --scheduler``: a real Dask cluster whose workers cannot see the course.

The test setup starts ``dask scheduler`` and two ``dask worker`` processes as separate
commands, as an instructor would on other machines. Each worker runs in a folder of its own
(its cwd, ``HOME`` and Dask's local directory), is never told the course's path, and runs in
a mount namespace of its own where the test's whole temporary tree (the course folders) and
the PostgreSQL server's folder (its socket) are hidden under empty file systems: what it
grades comes in its tasks. The gradebook is a real PostgreSQL server.

* The class graded on the cluster gets the scores plain serial ``nbgrader autograde`` gave
  it (the session's run, ``graded`` in conftest.py: nothing is graded twice for them).
* A worker killed in the middle of a submission loses nothing: Dask runs the task again on a
  worker (``distributed.scheduler.allowed-failures``) and the submission is graded once.
* A worker whose machine has no working bubblewrap (here: ``/usr/bin/bwrap`` replaced by an
  empty file in its namespace) reports a grader failure for every submission it takes:
  listed as failed, a non-zero exit, and no grade.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import postgres
import psutil
import pytest
from conftest import ASSIGNMENTS, MISTAKES, ROOT, graded_group, notebook_path, serial_class

from course.grader import gradebook, steps, submissions
from course.grader import parallel as grade
from course.grader.sandbox import bwrap

ASSIGNMENT = ASSIGNMENTS[0]
BIN = Path(sys.executable).parent
pytestmark = [
    pytest.mark.skipif(not bwrap.sandbox_available()[0],
                       reason=f"no sandbox here: {bwrap.sandbox_available()[1]}"),
    pytest.mark.skipif(postgres.unavailable() is not None, reason=str(postgres.unavailable())),
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                       reason="the workers' own mount namespaces need root and unshare"),
    # the expected scores come from graded[ASSIGNMENT]: on the worker that grades it anyway
    pytest.mark.xdist_group(graded_group(ASSIGNMENT)),
]

# In the worker's namespace: an empty read-only file system over each folder to hide, and
# (for a broken worker) an empty file over bubblewrap; then the worker itself. The paths are
# the shell's arguments, gone once it runs the worker.
HIDE = """set -e
while [ "$1" != -- ]; do mount -t tmpfs -o size=16k,mode=000,ro hidden "$1"; shift; done
shift
if [ "$1" = --no-bwrap ]; then
  : > "$HOME/bwrap"; mount --bind "$HOME/bwrap" /usr/bin/bwrap; shift
fi
exec "$@"
"""


class Cluster:
    """A scheduler and its workers, each started as its own command."""

    def __init__(self, hidden: list[Path]):
        self.base = Path(tempfile.mkdtemp(prefix="course-cluster-"))
        self.hidden = [str(p) for p in hidden]
        self.file = self.base / "scheduler.json"
        self.procs: dict[str, subprocess.Popen] = {}
        self.procs["scheduler"] = self._popen(
            "scheduler", [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                          "--no-dashboard", "--scheduler-file", self.file])
        deadline = time.monotonic() + 120
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]

    def _popen(self, name: str, cmd: list, env: dict | None = None) -> subprocess.Popen:
        folder = self.base / name
        folder.mkdir()
        log = open(folder / "log", "wb")  # noqa: SIM115 - closed with the process
        env = dict(env or os.environ, HOME=str(folder))
        return subprocess.Popen([str(c) for c in cmd], cwd=folder, env=env, stdout=log,
                                stderr=subprocess.STDOUT)

    def start_worker(self, name: str, broken_sandbox: bool = False) -> None:
        """A ``dask worker`` (with its nanny, which restarts it if it dies) in ``base/name``,
        in a mount namespace that hides the course and the gradebook."""
        worker = [BIN / "dask", "worker", "--scheduler-file", self.file, "--nthreads", "1",
                  "--memory-limit", "0", "--no-dashboard", "--name", name,
                  "--local-directory", self.base / name]
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", HIDE, "sh",
               *self.hidden, "--", *(["--no-bwrap"] if broken_sandbox else []), *worker]
        self.procs[name] = self._popen(name, cmd)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
            proc.kill()
            proc.wait()

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=60)

    def close(self) -> None:
        for name in [n for n in self.procs if n != "scheduler"] + ["scheduler"]:
            if name in self.procs:
                self.stop(name)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def pg():
    server = postgres.Server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cluster(pg, tmp_path_factory):
    cluster = Cluster([tmp_path_factory.getbasetemp(), pg.base])
    try:
        for name in ("worker-a", "worker-b"):
            cluster.start_worker(name)
        with cluster.client() as client:
            client.wait_for_workers(2, timeout=180)
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def serial(graded):
    students = ["reference", "blank", *(m.student for m in MISTAKES[ASSIGNMENT][:3])]
    return serial_class(graded[ASSIGNMENT], students)


def _course(dest: Path, students: dict) -> Path:
    root = steps.scratch_course(ROOT, ASSIGNMENT, dest)
    (root / "gradebook.db").unlink()  # generate_assignment's: the gradebook is PostgreSQL
    submissions.submit(root, ASSIGNMENT, students)
    return root


def _grade(cluster: Cluster, root: Path, db_url: str, *extra: str, wait: bool = True):
    cmd = [sys.executable, "-m", "course.grader", "grade", ASSIGNMENT, "--scheduler",
           cluster.address, "--db-url", db_url, "--no-progress", *extra]
    if not wait:
        return subprocess.Popen(cmd, cwd=root, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=600)


def test_workers_cannot_see_the_course_and_grade_as_serial_nbgrader(cluster, pg, serial,
                                                                    tmp_path):
    root = _course(tmp_path / "course", serial[0])
    url = pg.create_database("cluster")
    with cluster.client() as client:
        # the workers' own view: their own folder, no course, no gradebook socket
        cwd = client.run(os.getcwd)
        assert sorted(Path(c).name for c in cwd.values()) == ["worker-a", "worker-b"], cwd
        for path in (root, notebook_path(root / "submitted" / "reference", ASSIGNMENT),
                     pg.socket):
            assert path.exists()
            assert set(client.run(os.path.exists, str(path)).values()) == {False}, path
    run = _grade(cluster, root, url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "canary: the reference scored full marks" in run.stdout
    assert "5 graded, 0 skipped (unchanged), 0 failed" in run.stdout, run.stdout
    assert gradebook.read_scores(root, ASSIGNMENT, url) == serial[1]
    workers = {json.loads(grade._marker(root, ASSIGNMENT, s).read_text())["worker"]
               for s in serial[0]}
    assert workers <= set(cwd) and workers, workers  # graded there, recorded here
    graded_nb = notebook_path(root / "autograded" / "reference", ASSIGNMENT)
    assert nbformat.read(str(graded_nb), 4).cells  # the graded notebook came back
    again = _grade(cluster, root, url)
    assert "0 graded, 5 skipped (unchanged), 0 failed" in again.stdout, again.stdout


HOLD = 97  # seconds the slow submission sleeps on a worker it was first given to


def _holding(cluster: Cluster) -> list[psutil.Process]:
    """The worker processes (a nanny's child) under which a slow submission's sleep runs."""
    found = []
    for name, proc in cluster.procs.items():
        if name == "scheduler":
            continue
        try:
            for worker in psutil.Process(proc.pid).children():
                if any(_is_hold(p) for p in worker.children(recursive=True)):
                    found.append(worker)
        except psutil.Error:
            continue
    return found


def _is_hold(p: psutil.Process) -> bool:
    try:
        return p.cmdline() == ["sleep", str(HOLD)]
    except psutil.Error:
        return False


def test_a_worker_killed_mid_task_loses_nothing_and_the_task_is_graded_once(cluster, pg,
                                                                           serial, tmp_path):
    with cluster.client() as client:
        first = sorted(client.run(lambda dask_worker: dask_worker.local_directory).values())
    # the slow submission waits on the workers as they are now; a worker the nanny starts
    # again after the kill has a new local directory, where it does not wait
    slow = copy.deepcopy(serial[0]["reference"])
    slow.cells.insert(0, nbformat.v4.new_code_cell(
        f"import os, subprocess\nif any(d in os.getcwd() for d in {first!r}):\n"
        f"    subprocess.run(['sleep', '{HOLD}'])"))
    students = {"reference": serial[0]["reference"], "blank": serial[0]["blank"], "slow": slow}
    root = _course(tmp_path / "course", students)
    url = pg.create_database("killed")
    proc = _grade(cluster, root, url, "--no-canary", wait=False)
    killed, deadline = set(), time.monotonic() + 400
    while proc.poll() is None and time.monotonic() < deadline:
        for victim in _holding(cluster):
            if victim.pid not in killed:
                victim.send_signal(signal.SIGKILL)
                killed.add(victim.pid)
        time.sleep(0.2)
    if proc.poll() is None:
        proc.kill()
    output, _ = proc.communicate(timeout=60)
    assert killed, "no worker was ever grading the slow submission: " + output
    assert len(killed) <= 2, killed  # each original worker at most once
    assert proc.returncode == 0, output
    assert "3 graded, 0 skipped (unchanged), 0 failed" in output, output
    scores = gradebook.read_scores(root, ASSIGNMENT, url)
    assert scores["slow"] == serial[1]["reference"]
    assert {s: scores[s] for s in ("reference", "blank")} == {
        s: serial[1][s] for s in ("reference", "blank")}
    marker = json.loads(grade._marker(root, ASSIGNMENT, "slow").read_text())
    assert marker["faults"] == []


def test_a_worker_whose_sandbox_cannot_start_fails_every_submission_it_takes(cluster, pg,
                                                                           serial, tmp_path):
    """Last: the two healthy workers leave, a worker with no working bubblewrap joins."""
    for name in ("worker-a", "worker-b"):
        cluster.stop(name)
    cluster.start_worker("worker-broken", broken_sandbox=True)
    with cluster.client() as client:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            names = {w["name"] for w in client.scheduler_info()["workers"].values()}
            if names == {"worker-broken"}:
                break
            time.sleep(0.2)
        assert names == {"worker-broken"}, names
    students = {"reference": serial[0]["reference"], "blank": serial[0]["blank"]}
    root = _course(tmp_path / "course", students)
    url = pg.create_database("broken")
    run = _grade(cluster, root, url, "--no-canary")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "0 graded, 0 skipped (unchanged), 2 failed" in run.stdout, run.stdout
    for student in students:
        assert (f"FAILED {student}: GRADER FAILURE: the grading sandbox cannot start"
                in run.stdout), run.stdout
        assert not grade._marker(root, ASSIGNMENT, student).exists()
    scores = gradebook.read_scores(root, ASSIGNMENT, url)
    assert set(scores) == set(students)
    assert not any(entry["graded"] for entry in scores.values()), scores
