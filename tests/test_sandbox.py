"""The grading sandbox, tried by hostile submissions graded with real ``nbgrader autograde``.

Every hostile student answers all exercises correctly and, in the first solution cell,
also attacks: reads the instructor's files, writes outside its folder, opens a network
connection, leaves processes behind, allocates too much memory, floods its output. They are
graded in one batch with two honest students. Each honest student keeps full marks and its
files; each hostile one gets the marks its answers deserve and achieves nothing else; the
course tree outside ``autograded/`` and the gradebook is byte-for-byte unchanged.
"""

from __future__ import annotations

import copy
import hashlib
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from conftest import ASSIGNMENTS, ROOT, notebook_path

from course import grading, sandbox, submissions

ASSIGNMENT = ASSIGNMENTS[0]
pytestmark = pytest.mark.skipif(not sandbox.sandbox_available()[0],
                                reason=f"no sandbox here: {sandbox.sandbox_available()[1]}")

ATTACKS = {
    "reads-instructor-files": """
for _name, _path in [("source", {source!r}), ("gradebook", {gradebook!r}),
                     ("other student", {other!r}), ("config", {config!r})]:
    try:
        open(_path, "rb").read(10)
        print("ATTACK SUCCEEDED: read", _name)
    except OSError as _e:
        print("blocked: read", _name, type(_e).__name__)
""",
    "writes-outside": """
with open({canary!r}, "w") as _f:  # lands in the sandbox's private /tmp, not the host's
    _f.write("pwned")
for _name, _path in [("other student", {other!r}), ("course root", {course_file!r}),
                     ("own folder", "written-here.txt")]:
    try:
        with open(_path, "a") as _f:
            _f.write("pwned")
        print("ATTACK SUCCEEDED: wrote", _name)
    except OSError as _e:
        print("blocked: write", _name, type(_e).__name__)
""",
    "network": """
import socket as _socket
try:
    _socket.create_connection(("127.0.0.1", {port}), timeout=3)
    print("ATTACK SUCCEEDED: connected")
except OSError as _e:
    print("blocked: network", type(_e).__name__)
""",
    "processes": """
import os as _os, subprocess as _sp
_sp.Popen(["sleep", "{sleep_marker}"])
_kids = 0
try:
    for _ in range(500):
        if _os.fork() == 0:
            import time as _t
            _t.sleep(600)
            _os._exit(0)
        _kids += 1
    print("ATTACK SUCCEEDED: forked", _kids)
except OSError as _e:
    print("blocked: fork after", _kids, type(_e).__name__)
""",
    "memory": """
try:
    _big = np.ones(600_000_000)
    print("ATTACK SUCCEEDED: allocated", _big.nbytes)
except MemoryError:
    print("blocked: memory")
""",
    "output-flood": """
for _ in range(20_000):
    print("x" * 500)
""",
}


def _tests_deleted(nb):
    nb.cells = [c for c in nb.cells if not c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    return nb


def _tests_retyped(nb):
    """Every test cell turned into markdown, as if it were prose."""
    for i, c in enumerate(nb.cells):
        if c.get("metadata", {}).get("nbgrader", {}).get("grade"):
            nb.cells[i] = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata, id=c.id)
    return nb


TAMPERING = {"deletes-tests": _tests_deleted, "retypes-tests": _tests_retyped}


def _tree_hash(root: Path) -> dict[str, str]:
    """Hash of every file of the course except what grading is meant to write."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and rel.parts[0] not in ("autograded",) and rel.name != "gradebook.db":
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class _Listener:
    """A TCP server on the host's loopback that records whether anyone connected."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = grading.scratch_course(ROOT, ASSIGNMENT, tmp_path_factory.mktemp("sandbox-course"))
    return root, submissions.reference_for(root, ASSIGNMENT)


def _with_payload(nb, payload: str, *, last: bool = False):
    """``nb`` with ``payload`` at the top of its first (or last) solution cell."""
    nb = copy.deepcopy(nb)
    cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    cell = cells[-1] if last else cells[0]
    cell.source = payload.strip() + "\n\n\n" + cell.source
    return nb


@pytest.fixture(scope="module")
def hostile_batch(course):
    root, reference = course
    listener = _Listener()
    canary = Path(f"/tmp/course-canary-{uuid.uuid4().hex}")
    marker = str(4000 + uuid.uuid4().int % 5000)
    facts = {
        "source": str(notebook_path(root / "source", ASSIGNMENT)),
        "gradebook": str(root / "gradebook.db"),
        "other": str(notebook_path(root / "submitted" / "honest-a", ASSIGNMENT)),
        "config": str(root / "nbgrader_config.py"),
        "course_file": str(root / "pwned.txt"),
        "canary": str(canary),
        "port": listener.port,
        "sleep_marker": marker,
    }
    students = {"honest-a": reference, "honest-b": reference}
    for name, attack in ATTACKS.items():
        students[name] = _with_payload(reference, attack.format(**facts))
    # the kernel dies in the last exercise: the earlier ones keep their marks
    students["kills-kernel"] = _with_payload(reference, "import os\nos._exit(3)", last=True)
    for name, tamper in TAMPERING.items():
        students[name] = tamper(copy.deepcopy(reference))
    for student, nb in students.items():
        submissions.write(nb, notebook_path(root / "submitted" / student, ASSIGNMENT))
    before = _tree_hash(root)
    started = time.perf_counter()
    log = grading.nbgrader(["autograde", ASSIGNMENT, "--force"], root)
    elapsed = time.perf_counter() - started
    print(f"hostile batch of {len(students)} submissions graded in {elapsed:.1f} s")
    listener.close()
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    yield {"root": root, "scores": grading.read_scores(root, ASSIGNMENT), "before": before,
           "after": _tree_hash(root), "listener": listener, "canary": canary,
           "leftover": left.stdout.split(), "log": log}
    canary.unlink(missing_ok=True)


def _outputs(root: Path, student: str) -> str:
    nb = submissions.read(notebook_path(root / "autograded" / student, ASSIGNMENT))
    return "\n".join(out.get("text", "") for c in nb.cells for out in c.get("outputs", []))


def test_honest_students_keep_full_marks(hostile_batch):
    for student in ("honest-a", "honest-b"):
        s = hostile_batch["scores"][student]
        assert s["score"] == s["max_score"] > 0, student


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_gains_nothing_and_costs_the_batch_nothing(hostile_batch, attack):
    s = hostile_batch["scores"][attack]
    assert s["score"] == s["max_score"], f"{attack}: correct answers must keep their marks"
    text = _outputs(hostile_batch["root"], attack)
    assert "ATTACK SUCCEEDED" not in text, text[:2000]
    if attack != "output-flood":
        assert "blocked:" in text


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_deleted_or_retyped_tests_are_restored_and_graded(hostile_batch, tampering):
    s = hostile_batch["scores"][tampering]
    assert s["score"] == s["max_score"] > 0, f"{tampering}: correct answers keep their marks"
    cells = s["cells"]
    assert len(cells) == len(hostile_batch["scores"]["honest-a"]["cells"])


def test_a_dead_kernel_costs_only_what_did_not_run(hostile_batch):
    root = hostile_batch["root"]
    exercises = submissions.exercises(submissions.read(notebook_path(root / "source",
                                                                     ASSIGNMENT)))
    last = list(exercises)[-1]
    s = hostile_batch["scores"]["kills-kernel"]
    assert s["score"] == s["max_score"] - exercises[last]["points"]
    text = "\n".join(o.get("evalue", "") for c in submissions.read(
        notebook_path(root / "autograded" / "kills-kernel", ASSIGNMENT)).cells
        for o in c.get("outputs", []))
    assert "the kernel died" in text


def test_nothing_outside_autograded_changed(hostile_batch):
    before, after = hostile_batch["before"], hostile_batch["after"]
    assert before == after, sorted(set(before.items()) ^ set(after.items()))[:5]
    assert not hostile_batch["canary"].exists(), "a sandboxed kernel wrote to the host's /tmp"
    assert not (hostile_batch["root"] / "pwned.txt").exists()


def test_no_connection_reached_the_host(hostile_batch):
    assert hostile_batch["listener"].connections == 0


def test_every_process_ended_with_its_kernel(hostile_batch):
    assert hostile_batch["leftover"] == [], "processes started by a submission outlived it"


def test_fork_and_memory_are_capped(hostile_batch):
    root = hostile_batch["root"]
    assert "blocked: fork after" in _outputs(root, "processes")
    assert "blocked: memory" in _outputs(root, "memory")


def test_output_flood_is_truncated_with_a_note(hostile_batch):
    text = _outputs(hostile_batch["root"], "output-flood")
    assert "output truncated by the grader" in text
    assert len(text) < 200_000


def test_grading_without_the_sandbox_must_be_asked_for_and_is_reported(course):
    root, reference = course
    submissions.write(reference, notebook_path(root / "submitted" / "unsandboxed", ASSIGNMENT))
    log = grading.nbgrader(["autograde", ASSIGNMENT, "--student=unsandboxed", "--force",
                            "--SandboxedExecute.sandbox=off"], root)
    assert "graded WITHOUT the sandbox" in log
    nb = submissions.read(notebook_path(root / "autograded" / "unsandboxed", ASSIGNMENT))
    assert nb.metadata["course_grading"] == {"sandbox": "off"}
    scores = grading.read_scores(root, ASSIGNMENT)["unsandboxed"]
    assert scores["score"] == scores["max_score"]


def test_grading_stops_with_a_clear_message_when_the_sandbox_cannot_start(course):
    root, reference = course
    submissions.write(reference, notebook_path(root / "submitted" / "no-sandbox", ASSIGNMENT))
    with pytest.raises(grading.StepFailed) as info:
        grading.nbgrader(["autograde", ASSIGNMENT, "--student=no-sandbox", "--force",
                          "--SandboxedKernelManager.bwrap=/nonexistent/bwrap"], root)
    assert "the grading sandbox cannot start: /nonexistent/bwrap not found" in str(info.value)
    assert not notebook_path(root / "autograded" / "no-sandbox", ASSIGNMENT).exists()
