"""Grading integrity, tried by hostile submissions graded with real ``nbgrader autograde``.

One batch holds two honest students and, for each kind of attack, a hostile one:

* attacks on the machine: every hostile student answers all exercises correctly and, in
  the first solution cell, also reads the instructor's files, writes outside its folder,
  opens a network connection, leaves processes behind, allocates too much memory, or floods
  its output;
* forged marks: students whose ``linear_layer`` is wrong (it forgets the bias) and who
  tamper with their kernel to pass anyway: replaced numpy functions, a fake
  ``course.checks``, a fake ``numpy`` in ``sys.modules``, arrays with their own ``__eq__``,
  an input transformer that rewrites test cells, a silenced ``showtraceback``, forged
  replies to the grader;
* faults: an unreadable, empty or oversized file, duplicated or invented graded cells,
  deleted or retyped tests, a dead kernel, a loop that ignores interrupts, a notebook
  past its time limit, ``input()``, and a correct answer that warns.

Each honest student keeps full marks and its files; each hostile one gets exactly what its
answers deserve; the course tree outside ``autograded/`` and the gradebook is
byte-for-byte unchanged; the batch finishes within its time limit.
"""

from __future__ import annotations

import asyncio
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
from conftest import ASSIGNMENTS, ROOT, autograded_part, notebook_path

from course.grader import cells, cgroup, gradebook, steps, submissions
from course.grader.sandbox import bwrap
from course.grader.sandbox.kernel import SandboxedKernelManager

ASSIGNMENT = ASSIGNMENTS[0]
GROUPS, NO_GROUPS_WHY = cgroup.available()
pytestmark = pytest.mark.skipif(not bwrap.sandbox_available()[0],
                                reason=f"no sandbox here: {bwrap.sandbox_available()[1]}")

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
    # (each payload is str.format-ted with the batch's facts: braces are doubled)
    "output-flood": """
for _ in range(20_000):
    print("x" * 500)
""",
    # -- resources outside the address space, each past its bound (RESOURCE_BOUNDS) --------
    "fills-tmp": """
import os as _os
_n = 0
try:
    for _n in range(1, 200):  # files of 1 MiB, each far below the file-size limit
        with open(f"/tmp/fill-{{_n}}", "wb") as _f:
            _f.write(b"x" * 2**20)
    print("ATTACK SUCCEEDED: wrote", _n, "MiB to /tmp")
except OSError as _e:
    print("blocked: /tmp full after", _n - 1, "MiB", type(_e).__name__)
for _k in range(1, _n + 1):
    if _os.path.exists(f"/tmp/fill-{{_k}}"):
        _os.remove(f"/tmp/fill-{{_k}}")
""",
    "big-file": """
try:
    with open("/tmp/big", "wb") as _f:
        for _ in range(6):
            _f.write(b"x" * 2**20)
    print("ATTACK SUCCEEDED: wrote a 6 MiB file")
except OSError as _e:
    print("blocked: file size", type(_e).__name__)
import os as _os
_os.remove("/tmp/big")
""",
    "fills-disk": """
import os as _os
from ipykernel.connect import get_connection_file as _gcf
_folder = _os.path.dirname(_gcf())  # the sockets' folder, on the host's disk
try:
    for _n in range(1000):
        with open(_os.path.join(_folder, f"fill-{{_n}}"), "wb") as _f:
            _f.write(b"x" * 100_000)
    print("ATTACK SUCCEEDED: wrote 1000 files next to the kernel's sockets")
except OSError as _e:
    print("blocked: disk", type(_e).__name__)
""",
    "shared-memory": """
try:
    open("/dev/shm/course-fill", "wb").write(b"x" * 2**20)
    print("ATTACK SUCCEEDED: wrote to /dev/shm")
except OSError as _e:
    print("blocked: /dev/shm", type(_e).__name__)
try:
    from multiprocessing import shared_memory as _shm
    _block = _shm.SharedMemory(create=True, size=2**20)
    print("ATTACK SUCCEEDED: POSIX shared memory")
except OSError as _e:
    print("blocked: POSIX shared memory", type(_e).__name__)
""",
    "message-queues": """
import ctypes as _ct, os as _os
_rt = _ct.CDLL("librt.so.1", use_errno=True)
_rt.mq_open.restype = _ct.c_int
_q = _rt.mq_open(b"/course-fill", _os.O_CREAT | _os.O_RDWR, 0o600, None)
if _q >= 0:
    print("ATTACK SUCCEEDED: a POSIX message queue of kernel memory")
else:
    print("blocked: message queue", _os.strerror(_ct.get_errno()))
""",
    "opens-files": """
_files = []
try:
    for _ in range(100_000):
        _files.append(open("/dev/null"))
    print("ATTACK SUCCEEDED: opened", len(_files), "files")
except OSError as _e:
    print("blocked: open files after", len(_files), type(_e).__name__)
for _f in _files:
    _f.close()
del _files
""",
}

# The batch's resource bounds: small, to be reached in seconds (the defaults are larger).
TMP_MIB, FILE_MIB, OPEN_FILES, SANDBOX_MIB = 16, 4, 128, 800

# Memory outside any address space: System V shared memory segments of 16 MiB, each touched
# through a mapping that is then dropped, up to 4 GiB. No rlimit counts them (no address
# space, no file, no descriptor: memfd files are held back by the file-size and open-file
# limits together); only the sandbox's control group does. Past its memory bound the kernel
# is killed, in the last exercise, which alone is lost.
SHM_ATTACK = """
import ctypes as _ct
_libc = _ct.CDLL(None, use_errno=True)
_libc.shmat.restype = _ct.c_void_p
_libc.shmat.argtypes = [_ct.c_int, _ct.c_void_p, _ct.c_int]
_libc.shmdt.argtypes = [_ct.c_void_p]
_held = 0
for _ in range(256):
    _id = _libc.shmget(0, 16 * 2**20, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
    if _id < 0:
        print("blocked: shmget", _ct.get_errno())
        break
    _where = _libc.shmat(_id, None, 0)
    _ct.memset(_where, 1, 16 * 2**20)
    _libc.shmdt(_where)
    _held += 16
print("ATTACK SUCCEEDED: held", _held, "MiB outside the address space")
"""


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def _tests_deleted(nb):
    nb.cells = [c for c in nb.cells if not _is_test(c)]
    return nb


def _tests_retyped(nb):
    """Every test cell turned into markdown, as if it were prose."""
    for i, c in enumerate(nb.cells):
        if _is_test(c):
            nb.cells[i] = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata, id=c.id)
    return nb


TAMPERING = {"deletes-tests": _tests_deleted, "retypes-tests": _tests_retyped}

# Each forger's linear_layer forgets the bias, and the payload tries to pass it anyway.
WRONG_FUNCTION = "linear_layer"
FORGERIES = {
    "replaces-numpy-functions": """
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
""",
    "replaces-course-checks": """
import contextlib as _cl, sys as _sys, types as _types
import course.checks as _real_checks
_fake = _types.ModuleType("course.checks")
for _n in ["assert_close", "assert_equal", "assert_shape", "assert_true"]:
    setattr(_fake, _n, lambda *a, **k: None)
_fake.call_unchanged = lambda fn, *a, **k: fn(*a, **k)
_fake.no_warnings = lambda *a, **k: _cl.nullcontext()
_fake.CheckFailure = AssertionError
for _n in ["assert_close", "assert_equal", "assert_shape", "assert_true", "call_unchanged",
           "no_warnings"]:
    setattr(_real_checks, _n, getattr(_fake, _n))
_sys.modules["course.checks"] = _fake
checks = _fake
""",
    "replaces-numpy-module": """
import sys as _sys, types as _types
_fake_np = _types.ModuleType("numpy")
_fake_np.__dict__.update(np.__dict__)
_fake_np.allclose = lambda *a, **k: True
_fake_np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, bool)
_sys.modules["numpy"] = _fake_np
np = _fake_np
""",
    "input-transformer": """
def _rewrite(lines):
    text = "".join(lines)
    if "BEGIN HIDDEN" in text or "_hidden_test" in text:
        print("ATTACK SUCCEEDED: the kernel saw hidden test code")
    if "checks." in text:
        return ["pass\\n", "1.0\\n"]  # skip the test, and ask for partial credit
    return lines


get_ipython().input_transformers_cleanup.append(_rewrite)
""",
    "silenced-traceback": """
import sys as _sys
_ip = get_ipython()
_ip.showtraceback = lambda *a, **k: None
_ip._showtraceback = lambda *a, **k: None
_ip.showsyntaxerror = lambda *a, **k: None
_sys.excepthook = lambda *a, **k: None
""",
    "forges-grader-replies": """
import course.grader.judge.kernel as _judge
import course.grader.judge.wire as _wire
_real_call = _judge.kernel_call


def _forged_call(req, blobs):
    if req["name"] != "linear_layer":
        return _real_call(req, blobs)
    X, W, b = req["args"]
    forged = {"kind": "reply", "status": "ok", "warnings": [],
              "result": _wire.pack(np.asarray(X, float) @ W),  # the wrong answer, "with" a bias
              "args": _wire.pack([X, W, b], strict=False), "kwargs": _wire.pack({})}
    for nonce in ("forged", None, req["nonce"]):  # replies to nothing, then to this call
        _wire.send_frame(_judge._LINK[-1], _wire.encode_message(dict(forged, nonce=nonce), []))
    return dict(forged)


_judge.kernel_call = _forged_call
""",
}
# appended after linear_layer is defined (at the top of the last solution cell)
LATE_FORGERIES = {
    "lying-arrays": """
class _Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, bool)

    def __ne__(self, other):
        return np.zeros(self.shape, bool)

    def __sub__(self, other):
        return np.zeros(self.shape)

    __rsub__ = __sub__

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.shape(inputs[0]))


_wrong_layer = linear_layer


def linear_layer(X, W, b):
    return np.asarray(_wrong_layer(X, W, b)).view(_Liar)
""",
}

CELL_LIMIT, NOTEBOOK_LIMIT, GRACE, MAX_FILE = 10, 25, 3, 1_000_000
BATCH_LIMIT = 600  # seconds the whole batch may take


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
    root = steps.scratch_course(ROOT, ASSIGNMENT, tmp_path_factory.mktemp("sandbox-course"))
    return root, submissions.reference_for(root, ASSIGNMENT)


def _with_payload(nb, payload: str, *, last: bool = False):
    """``nb`` with ``payload`` at the top of its first (or last) solution cell."""
    nb = copy.deepcopy(nb)
    cells = _solution_cells(nb)
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
    if GROUPS:
        students["memory-outside-address-space"] = _with_payload(reference, SHM_ATTACK,
                                                                 last=True)
    for name, tamper in TAMPERING.items():
        students[name] = tamper(copy.deepcopy(reference))
    wrong = _with_mistake(reference, WRONG_FUNCTION)
    for name, payload in FORGERIES.items():
        students[name] = _with_payload(wrong, payload)
    for name, payload in LATE_FORGERIES.items():
        students[name] = _with_payload(wrong, payload, last=True)
    students.update(_faults(reference))
    raw = {"invalid-json": '{"cells": [', "empty-file": ""}
    for student, nb in students.items():
        submissions.write(nb, notebook_path(root / "submitted" / student, ASSIGNMENT))
    for student, text in raw.items():
        path = notebook_path(root / "submitted" / student, ASSIGNMENT)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    before = _tree_hash(root)
    started = time.perf_counter()
    # figures decide nothing here (the demo and the canary grade with them): not drawn
    log = steps.nbgrader(["autograde", ASSIGNMENT, "--force",
                            "--SandboxedExecute.draw_figures=False",
                            f"--SandboxedExecute.timeout={CELL_LIMIT}",
                            f"--SandboxedExecute.notebook_timeout={NOTEBOOK_LIMIT}",
                            f"--SandboxedExecute.interrupt_grace={GRACE}",
                            f"--GradingExporter.max_notebook_bytes={MAX_FILE}",
                            f"--SandboxedKernelManager.tmp_bytes={TMP_MIB * 2**20}",
                            f"--SandboxedKernelManager.max_file_bytes={FILE_MIB * 2**20}",
                            f"--SandboxedKernelManager.max_open_files={OPEN_FILES}",
                            f"--SandboxedKernelManager.cgroup_memory_bytes={SANDBOX_MIB * 2**20}"],
                           root, timeout=BATCH_LIMIT)
    elapsed = time.perf_counter() - started
    print(f"hostile batch of {len(students) + len(raw)} submissions graded in {elapsed:.1f} s")
    listener.close()
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    scores = {student: autograded_part(entry)
              for student, entry in gradebook.read_scores(root, ASSIGNMENT).items()}
    yield {"root": root, "scores": scores, "before": before,
           "after": _tree_hash(root), "listener": listener, "canary": canary,
           "leftover": left.stdout.split(), "log": log, "elapsed": elapsed,
           "points": {name: ex["points"] for name, ex in cells.exercises(
               submissions.read(notebook_path(root / "source", ASSIGNMENT))).items()}}
    canary.unlink(missing_ok=True)


def _with_mistake(reference, function: str):
    mistakes, _ = submissions.load_mistakes(ROOT / "source" / ASSIGNMENT)
    mistake = next(m for m in mistakes if m.function == function)
    return submissions.apply_mistake(reference, mistake)


def _solution_cells(nb):
    """The code solution cells (not the written answers, which are markdown)."""
    return [c for c in nb.cells if c.get("cell_type") == "code"
            and c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def _faults(reference) -> dict:
    """Submissions that break nbgrader or the time limits, each in its own way."""
    out = {}
    nb = copy.deepcopy(reference)  # a solution cell pasted twice: the same grade id twice
    nb.cells.append(copy.deepcopy(_solution_cells(nb)[0]))
    out["duplicated-graded-cell"] = nb
    nb = copy.deepcopy(reference)  # a cell that claims to be a graded test worth 100 points
    bonus = nbformat.v4.new_code_cell("print('free points')")
    bonus.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": False,
                                  "grade_id": "bonus", "points": 100, "schema_version": 1}
    nb.cells.append(bonus)
    out["invented-graded-cell"] = nb
    nb = copy.deepcopy(reference)  # larger than the file limit of the batch
    nb.cells.append(nbformat.v4.new_markdown_cell("x" * (MAX_FILE + 1000)))
    out["oversized-file"] = nb
    out["ignores-interrupts"] = _with_payload(
        reference, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
                   "    pass", last=True)
    nb = copy.deepcopy(reference)  # three slow cells: together past the notebook's limit
    for cell in _solution_cells(nb)[:3]:
        cell.source = f"import time\ntime.sleep({CELL_LIMIT - 1})\n\n\n" + cell.source
    out["past-notebook-limit"] = nb
    out["calls-input"] = _with_payload(reference, "name = input('your name? ')")
    nb = copy.deepcopy(reference)  # right answers that also warn and write to stderr
    cell = next(c for c in _solution_cells(nb) if c.metadata["nbgrader"]["grade_id"]
                == WRONG_FUNCTION)
    cell.source = cell.source.replace(
        "    return X @ W + b", "    import sys, warnings\n"
        "    warnings.warn('linear_layer: a friendly warning', UserWarning)\n"
        "    print('a debugging line', file=sys.stderr)\n    return X @ W + b")
    assert "friendly warning" in cell.source
    out["warns-but-correct"] = nb
    return out


def _outputs(root: Path, student: str) -> str:
    """What the student's cells printed: one cell's stream pieces joined as printed (a print
    may arrive in several pieces), the cells one per line."""
    nb = submissions.read(notebook_path(root / "autograded" / student, ASSIGNMENT))
    return "\n".join("".join(out.get("text", "") for out in c.get("outputs", []))
                     for c in nb.cells)


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
    exercises = cells.exercises(submissions.read(notebook_path(root / "source",
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


def _blocked_after(text: str, what: str) -> float:
    """The number a payload printed after ``blocked: <what> after``."""
    line = next(ln for ln in text.splitlines() if ln.startswith(f"blocked: {what} after"))
    return float(line.split(" after ")[1].split()[0])


def test_tmp_holds_no_more_than_its_size(hostile_batch):
    """Files, each small, fill the private /tmp (RAM) only up to its bound."""
    text = _outputs(hostile_batch["root"], "fills-tmp")
    assert TMP_MIB - 4 <= _blocked_after(text, "/tmp full") <= TMP_MIB, text[:500]


def test_no_file_grows_past_the_file_size_bound(hostile_batch):
    assert "blocked: file size OSError" in _outputs(hostile_batch["root"], "big-file")


def test_nothing_is_written_to_the_hosts_disk(hostile_batch):
    """The one host folder the kernel sees writable, its sockets', is closed once it runs."""
    text = _outputs(hostile_batch["root"], "fills-disk")
    assert "blocked: disk PermissionError" in text, text[:500]


def test_no_shared_memory_or_message_queue(hostile_batch):
    text = _outputs(hostile_batch["root"], "shared-memory")
    assert "blocked: /dev/shm PermissionError" in text, text[:500]
    assert "blocked: POSIX shared memory" in text
    assert "blocked: message queue" in _outputs(hostile_batch["root"], "message-queues")


def test_open_files_stop_at_their_bound(hostile_batch):
    text = _outputs(hostile_batch["root"], "opens-files")
    assert _blocked_after(text, "open files") < OPEN_FILES, text[:500]


@pytest.mark.skipif(not GROUPS, reason=f"no control groups here: {NO_GROUPS_WHY}")
def test_memory_outside_the_address_space_is_bounded_by_the_control_group(hostile_batch):
    """Shared memory segments hold RAM that no rlimit counts: past the group's bound the
    kernel dies, in the last exercise, which alone is lost; the rest of the batch is graded."""
    root = hostile_batch["root"]
    student = "memory-outside-address-space"
    last = list(hostile_batch["points"])[-1]
    _lost_only(hostile_batch, student, last)
    text = _outputs(root, student) + "\n".join(
        o.get("evalue", "") for c in _graded(root, student).cells for o in c.get("outputs", []))
    assert "ATTACK SUCCEEDED" not in text
    assert "the kernel died" in text


def test_output_flood_is_truncated_with_a_note(hostile_batch):
    text = _outputs(hostile_batch["root"], "output-flood")
    assert "output truncated by the grader" in text
    assert len(text) < 200_000


def _graded(root: Path, student: str):
    return submissions.read(notebook_path(root / "autograded" / student, ASSIGNMENT))


def _faults_of(root: Path, student: str) -> str:
    return "\n".join(_graded(root, student).metadata.get("course_grading", {}).get("faults", []))


def _lost_only(batch, student: str, *functions: str) -> None:
    """``student`` lost exactly the points of ``functions`` and kept every other point."""
    s = batch["scores"][student]
    honest = batch["scores"]["honest-a"]
    assert s["max_score"] == honest["max_score"], f"{student}: the maximum changed"
    lost = sum(batch["points"][f] for f in functions)
    wrong = {cell: got for cell, got in s["cells"].items() if got[0] < got[1]}
    assert s["score"] == s["max_score"] - lost, (
        f"{student} scored {s['score']}, expected {s['max_score'] - lost}; failing cells: {wrong}")
    for cell in wrong:
        assert cells.exercise_of(cell, batch["points"]) in functions, (student, cell)


@pytest.mark.parametrize("forgery", [*FORGERIES, *LATE_FORGERIES])
def test_tampering_with_the_kernel_does_not_turn_a_wrong_answer_into_marks(hostile_batch,
                                                                           forgery):
    _lost_only(hostile_batch, forgery, WRONG_FUNCTION)
    assert "ATTACK SUCCEEDED" not in _outputs(hostile_batch["root"], forgery)


def test_hidden_test_code_never_enters_the_students_kernel(hostile_batch):
    # the input transformer sees every line the kernel runs, and reports hidden test code
    text = _outputs(hostile_batch["root"], "input-transformer")
    assert "saw hidden test code" not in text


def test_the_grader_keeps_the_full_failure_for_the_instructor(hostile_batch):
    nb = _graded(hostile_batch["root"], "replaces-numpy-functions")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and all(c.metadata["nbgrader"]["grade_id"].startswith(WRONG_FUNCTION)
                          for c in nb.cells for o in c.get("outputs", [])
                          if o.output_type == "error")
    assert any("expected" in o.evalue and "received" in o.evalue for o in errors)


@pytest.mark.parametrize("student,why", [
    ("invalid-json", "could not be read: NotJSONError"),
    ("empty-file", "the notebook file is empty"),
    ("oversized-file", "the limit is"),
])
def test_an_unreadable_file_gets_a_zero_row_and_a_reason(hostile_batch, student, why):
    s = hostile_batch["scores"][student]
    assert s["score"] == 0 and s["max_score"] == hostile_batch["scores"]["honest-a"]["max_score"]
    assert why in _faults_of(hostile_batch["root"], student)
    first = _graded(hostile_batch["root"], student).cells[0]
    assert first.cell_type == "markdown" and why in first.source


@pytest.mark.parametrize("student,note", [
    ("duplicated-graded-cell", "appears more than once"),
    ("invented-graded-cell", "which the assignment does not have"),
])
def test_a_repairable_notebook_is_repaired_and_graded(hostile_batch, student, note):
    s = hostile_batch["scores"][student]
    assert s["score"] == s["max_score"] == hostile_batch["scores"]["honest-a"]["max_score"]
    assert note in _faults_of(hostile_batch["root"], student)


def test_a_loop_that_ignores_interrupts_is_stopped_and_costs_only_its_exercise(hostile_batch):
    last = list(hostile_batch["points"])[-1]
    _lost_only(hostile_batch, "ignores-interrupts", last)
    assert "ignored the interrupt" in _faults_of(hostile_batch["root"], "ignores-interrupts")


def test_the_notebook_time_limit_holds(hostile_batch):
    functions = list(hostile_batch["points"])
    _lost_only(hostile_batch, "past-notebook-limit", *functions[2:])
    assert "time limit" in _faults_of(hostile_batch["root"], "past-notebook-limit")


def test_input_is_reported_and_costs_only_its_exercise(hostile_batch):
    first = list(hostile_batch["points"])[0]
    _lost_only(hostile_batch, "calls-input", first)
    assert "input() was called" in _faults_of(hostile_batch["root"], "calls-input")


def test_a_correct_answer_that_warns_keeps_its_marks(hostile_batch):
    _lost_only(hostile_batch, "warns-but-correct")
    text = _outputs(hostile_batch["root"], "warns-but-correct")
    assert "[stderr]" in text and "a debugging line" in text  # shown, but not as stderr
    assert "they cost no marks" in text and "friendly warning" in text


def test_every_submission_has_a_grade_row_and_the_batch_kept_its_time_limit(hostile_batch):
    submitted = {p.name for p in (hostile_batch["root"] / "submitted").iterdir()}
    assert submitted <= set(hostile_batch["scores"])
    assert hostile_batch["elapsed"] < BATCH_LIMIT


def test_feedback_shows_no_hidden_tests_or_reference_values(hostile_batch):
    root = hostile_batch["root"]
    for student in ("honest-a", "replaces-numpy-functions"):
        steps.nbgrader(["generate_feedback", ASSIGNMENT, f"--student={student}", "--force"],
                         root)
    pages = {s: notebook_path(root / "feedback" / s, ASSIGNMENT).with_suffix(".html").read_text()
             for s in ("honest-a", "replaces-numpy-functions")}
    for student, html in pages.items():
        assert "_hidden_test" not in html and "BEGIN HIDDEN" not in html, student
        assert "hidden tests, run by the grader" in html, student
    forged = pages["replaces-numpy-functions"]
    assert "details withheld" in forged
    assert "entries differ" not in forged and "received" not in forged


def test_grading_without_the_sandbox_must_be_asked_for_and_is_reported(course):
    root, reference = course
    submissions.write(reference, notebook_path(root / "submitted" / "unsandboxed", ASSIGNMENT))
    log = steps.nbgrader(["autograde", ASSIGNMENT, "--student=unsandboxed", "--force",
                            "--SandboxedExecute.sandbox=off"], root)
    assert "graded WITHOUT the sandbox" in log
    nb = submissions.read(notebook_path(root / "autograded" / "unsandboxed", ASSIGNMENT))
    assert nb.metadata["course_grading"]["sandbox"] == "off"
    scores = autograded_part(gradebook.read_scores(root, ASSIGNMENT)["unsandboxed"])
    assert scores["score"] == scores["max_score"] > 0


def test_grading_stops_with_a_clear_message_when_the_sandbox_cannot_start(course):
    root, reference = course
    submissions.write(reference, notebook_path(root / "submitted" / "no-sandbox", ASSIGNMENT))
    with pytest.raises(steps.StepFailed) as info:
        steps.nbgrader(["autograde", ASSIGNMENT, "--student=no-sandbox", "--force",
                          "--SandboxedKernelManager.bwrap=/nonexistent/bwrap"], root)
    assert "the grading sandbox cannot start: /nonexistent/bwrap not found" in str(info.value)
    assert not notebook_path(root / "autograded" / "no-sandbox", ASSIGNMENT).exists()


# Four processes that each spin for two seconds of wall-clock time, then the CPU time they
# used together: about 2 s per core the sandbox may use.
CPU_ATTACK = """
import os, time
kids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            pass
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
times = os.times()
print(f"children used {times.children_user + times.children_system:.2f} s of CPU")
"""


async def _run_in_sandbox(code: str, cwd: Path, **bounds) -> str:
    """Run ``code`` in a sandboxed kernel with the given bounds; return its printed text."""
    km = SandboxedKernelManager(kernel_name="python3", **bounds)
    await km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    printed: list[str] = []
    try:
        await kc.wait_for_ready(timeout=120)
        km.seal()  # as SandboxedExecute does once the kernel answers
        await kc.execute_interactive(
            code, timeout=60,
            output_hook=lambda msg: printed.append(msg["content"].get("text", "")))
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
    return "".join(printed)


@pytest.mark.skipif(not GROUPS, reason=f"no control groups here: {NO_GROUPS_WHY}")
def test_the_cpu_share_of_the_whole_sandbox_is_bounded(tmp_path):
    """Processes spinning side by side get the sandbox's share of the machine, not every
    core, so the kernels graded beside it keep their speed (and their time limits)."""
    text = asyncio.run(_run_in_sandbox(CPU_ATTACK, tmp_path, cpus=0.1, cgroup="required"))
    used = float(text.split("children used ")[1].split()[0])
    # 4 spinners for 2 s: 0.2 s of CPU at a tenth of a core; unbounded, they take whatever
    # the machine has free: 4 s on two idle cores, 0.5 s even on this machine under a load
    # of 8
    assert used < 0.35, text
