"""Run each autograded notebook's kernel in a bubblewrap sandbox.

nbgrader executes a submission with its ``Execute`` preprocessor; the course's
``nbgrader_config.py`` puts :class:`SandboxedExecute` in its place in
``Autograde.autograde_preprocessors``, so ``nbgrader autograde``, the formgrader
and the course's own commands are protected alike (students' ``Validate`` keeps
the plain kernel: it runs their own code on their own machine).

The kernel of a sandboxed notebook

* sees a read-only view of the system (``/usr``, ``/etc``, ...), the Python
  environment and the ``course`` package, and its own submission folder, also
  read-only; nothing else of the course: not ``source/``, not the gradebook, not
  the other students' folders, not the exchange, not the grader's home;
* writes only to a private ``/tmp`` (its ``HOME`` is ``/tmp/home``), a tmpfs of bounded
  size; the folder of its sockets is closed to it once it has started;
* has no network, not even the host's loopback (its own network namespace), and
  talks to the grader through Unix sockets in a folder bound in for it;
* runs in its own PID namespace as an unprivileged uid, so every process it
  starts dies with it, and under limits on its address space, CPU time,
  processes, file size and open files, and, where the machine offers control
  groups, in a group of its own bounding the memory, the CPU share and the
  processes of the whole sandbox (:mod:`course.grader.cgroup`): every bound is
  listed by :func:`sandbox_bounds` and audited in ``docs/grading-security.md``;
* has its output capped per cell and per notebook, with a visible note.

If the sandbox cannot start, grading of the notebook fails with a message saying
why, unless the instructor runs with ``--SandboxedExecute.sandbox=off``, which
the run then reports on every notebook it grades.
"""

from __future__ import annotations

import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, CaselessStrEnum, Enum, Float, Integer, Unicode

from course.grader import cgroup
from course.grader.errors import GraderFailure
from course.judge import JudgeError, KernelStopped, Session

BWRAP = "/usr/bin/bwrap"
SYSTEM_DIRS = ("/usr", "/etc", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
LIMITS_ENV = "COURSE_SANDBOX_LIMITS"
COURSE_PACKAGE_ENV = "COURSE_PACKAGE_DIR"


class SandboxUnavailable(GraderFailure):
    """The sandbox could not be started; the message says why and what to do."""


def sandbox_available(bwrap: str = BWRAP) -> tuple[bool, str]:
    """Can bubblewrap start a sandbox with private network and PID namespaces here?"""
    if not Path(bwrap).exists():
        return False, f"{bwrap} not found: install Debian's package bubblewrap"
    try:
        proc = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid",
                               "--die-with-parent", "true"], capture_output=True, text=True,
                              timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not run: {exc}"
    if proc.returncode != 0:
        return False, f"bubblewrap could not create namespaces: {proc.stderr.strip()}"
    return True, ""


def course_package_dir() -> str:
    """The folder of the ``course`` package this process imported: the one the grader checked,
    which the kernel must import too, wherever it came from (an editable or a regular
    install, ``PYTHONPATH`` or the working folder)."""
    import course

    return str(Path(course.__file__).resolve().parent)


def _library_paths() -> set[str]:
    """Folders the grader imports libraries from: its environment's and every
    ``site-packages`` on its ``sys.path`` (a ``.pth`` file may add another environment's).
    Other ``sys.path`` entries (the working folder, ``PYTHONPATH`` folders) may hold the
    course's instructor files and are never bound."""
    paths = {sys.prefix, sys.base_prefix, str(Path(os.path.realpath(sys.executable)).parent.parent)}
    for entry in sys.path:
        if Path(entry).name in ("site-packages", "dist-packages") and Path(entry).is_dir():
            paths.add(os.path.realpath(entry))
    return paths


def _readonly_paths() -> list[str]:
    """The Python environment and the course package, as the kernel needs them."""
    paths = _library_paths() | {course_package_dir()}
    # keep the shortest distinct paths: a path inside another is bound with it
    out: list[str] = []
    for p in sorted(paths, key=len):
        if not any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


def sandbox_command(kernel_cmd: list[str], *, cwd: str, socket_dir: str, limits: dict,
                    mpl_cache: str | None = None, bwrap: str = BWRAP,
                    threads: int = 1, tmp_bytes: int = 256 * 1024**2) -> list[str]:
    """Wrap ``kernel_cmd`` (``python -m ipykernel_launcher -f ...``) in bubblewrap. The
    private ``/tmp`` holds at most ``tmp_bytes`` (it is RAM, outside any address space)."""
    args = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
            # the entry point drops to an unprivileged uid before the kernel starts
            "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    for d in SYSTEM_DIRS:
        args += ["--ro-bind-try", d, d]
    # /dev's shm folder stays root's: no POSIX shared memory for the kernel's uid
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", "/tmp",
             "--dir", "/tmp/home"]
    binds = [("--ro-bind", p, p) for p in _readonly_paths()]
    binds += [("--ro-bind", cwd, cwd), ("--bind", socket_dir, socket_dir)]
    if mpl_cache and Path(mpl_cache).is_dir():
        binds.append(("--ro-bind", mpl_cache, "/tmp/.matplotlib-cache"))
    # bubblewrap makes missing parent folders 0700; the kernel's uid must traverse them
    parents = {str(a) for _, _, dest in binds for a in Path(dest).parents if str(a) != "/"}
    for folder in sorted(parents, key=lambda f: f.count("/")):
        args += ["--perms", "0755", "--dir", folder]
    for kind, src, dest in binds:
        args += [kind, src, dest]
    args += ["--chdir", cwd]
    env = {
        "HOME": "/tmp/home",
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": "/tmp/home/.matplotlib",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde"),
        LIMITS_ENV: json.dumps(limits),
        COURSE_PACKAGE_ENV: course_package_dir(),
    }
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    for key, value in env.items():
        args += ["--setenv", key, value]
    python, *rest = kernel_cmd
    if rest[:2] != ["-m", "ipykernel_launcher"]:
        raise SandboxUnavailable(f"cannot sandbox this kernel command: {kernel_cmd}")
    # The entry point runs by its path, in isolated mode (-I: neither the working folder,
    # which is the student's, nor PYTHONPATH is on sys.path), and loads the grader's own
    # course package from COURSE_PACKAGE_ENV: a `course/` folder in a submission can never
    # stand in for it, and another installed `course` cannot shadow it.
    entry = os.path.join(course_package_dir(), "_sandbox_entry.py")
    return args + ["--", python, "-I", "-B", entry, *rest[2:]]


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside :func:`sandbox_command`."""

    bwrap = Unicode(BWRAP, config=True, help="the bubblewrap executable")
    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True,
                                help="ipc: TCP loopback does not cross the network namespace")
    memory_bytes = Integer(2 * 1024**3, config=True, help="address-space limit of the kernel")
    cpu_seconds = Integer(900, config=True, help="CPU time limit of the kernel, in seconds")
    max_processes = Integer(64, config=True, help="processes and threads of the sandbox uid")
    max_file_bytes = Integer(64 * 1024**2, config=True, help="largest file the kernel may write")
    max_open_files = Integer(256, config=True, help="open file descriptors of each process")
    tmp_bytes = Integer(256 * 1024**2, config=True,
                        help="size of the sandbox's private /tmp (a tmpfs: RAM that no "
                             "address-space limit counts)")
    cgroup = Enum(["auto", "required", "off"], default_value="auto", config=True,
                  help="a control group per sandbox: 'auto' where the machine offers one, "
                       "'required' fails grading (a grader failure) where it does not")
    cgroup_memory_bytes = Integer(3 * 1024**3, config=True,
                                  help="memory of the whole sandbox (kernel, its children, its "
                                       "/tmp, shared memory, pipes), in its control group")
    cpus = Float(1.0, config=True,
                 help="CPU share of the whole sandbox, in cores, in its control group")
    threads = Integer(1, config=True,
                      help="BLAS/OpenMP threads of the kernel: graders run kernels side by side, "
                           "one per core, and the course's matrices are small")

    async def _async_pre_start_kernel(self, **kw):
        self._socket_dir = tempfile.mkdtemp(prefix="course-kernel-")
        os.chmod(self._socket_dir, 0o777)  # the kernel runs as an unprivileged uid
        self.connection_file = os.path.join(self._socket_dir, "kernel.json")
        self.ip = os.path.join(self._socket_dir, "ipc")
        if self.kernel_spec is not None:
            # signals reach bubblewrap, not the kernel: interrupt by message instead
            self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        os.chmod(self.connection_file, 0o644)
        limits = {"memory": self.memory_bytes, "cpu": self.cpu_seconds,
                  "nproc": self.max_processes, "fsize": self.max_file_bytes,
                  "nofile": self.max_open_files, "uid": random.randint(200_000, 299_999)}
        try:
            import matplotlib

            mpl_cache = matplotlib.get_cachedir()
        except Exception:  # matplotlib is optional for the sandbox itself
            mpl_cache = None
        cmd = sandbox_command(kernel_cmd, cwd=str(kw.get("cwd") or os.getcwd()),
                              socket_dir=self._socket_dir, limits=limits, mpl_cache=mpl_cache,
                              bwrap=self.bwrap, threads=self.threads, tmp_bytes=self.tmp_bytes)
        cmd = self._in_cgroup(cmd)
        # The kernel's own stdout and stderr (not its cells' output, which travels as
        # messages) go to a file beside its sockets, removed with them: ipykernel's start-up
        # notice, or a student writing to file descriptor 1 or 2, never reach the grader's
        # terminal. The file is bounded by the kernel's file-size limit.
        log = open(os.path.join(self._socket_dir, "kernel.log"), "ab")  # noqa: SIM115
        try:
            return await super()._async_launch_kernel(cmd, **kw, stdout=log, stderr=log)
        finally:
            log.close()  # the kernel process holds its own descriptors

    last_log = ""  # the end of the kernel's own stdout/stderr, kept when its folder goes
    _group: cgroup.Cgroup | None = None

    def cgroup_limits(self) -> cgroup.Limits:
        # a few more processes than the kernel's uid may have: bubblewrap's own
        return cgroup.Limits(memory_bytes=self.cgroup_memory_bytes, cpus=self.cpus,
                             pids=self.max_processes + 8 if self.max_processes else 0)

    def _in_cgroup(self, cmd: list[str]) -> list[str]:
        """``cmd`` joining a control group of its own, if one is wanted and can be made."""
        if self.cgroup == "off":
            return cmd
        group = cgroup.Cgroup(self.cgroup_limits())
        try:
            procs = group.create()
        except cgroup.CgroupUnavailable as exc:
            if self.cgroup == "required":
                raise SandboxUnavailable(f"the grading sandbox cannot start: {exc} "
                                         f"(SandboxedKernelManager.cgroup is 'required')") from exc
            self.log.debug("no control group for the sandbox: %s", exc)
            return cmd
        self._group = group
        return cgroup.join_command(procs, cmd)

    def seal(self) -> None:
        """Close the sockets' folder to the kernel: once its sockets exist, the kernel has
        nothing more to create there, and the folder is on the host's disk."""
        folder = getattr(self, "_socket_dir", None)
        if folder and os.path.isdir(folder):
            os.chmod(folder, 0o755)

    def kernel_log(self, limit: int = 2000) -> str:
        """The end of what the kernel process wrote to its stdout and stderr."""
        try:
            with open(os.path.join(self._socket_dir, "kernel.log"), "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - limit))
                return fh.read().decode("utf-8", "replace").strip()
        except (AttributeError, OSError):
            return self.last_log

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.last_log = self.kernel_log()
            shutil.rmtree(getattr(self, "_socket_dir", ""), ignore_errors=True)
            if self._group is not None:
                self._group.remove()
                if self._group.folders:
                    self.log.warning("control group %s outlived its kernel", self._group.name)
                self._group = None

    cleanup_resources = _async_cleanup_resources


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} B"


def sandbox_bounds(config) -> list[tuple[str, str, str]]:
    """Every bound on what a sandboxed kernel may consume, as ``config`` sets it:
    ``(name, value, how it is enforced)``, in the order of the audit table of
    ``docs/grading-security.md``."""
    km = SandboxedKernelManager(config=config)
    ex = SandboxedExecute(config=config)
    if km.cgroup == "off":
        group = "off (SandboxedKernelManager.cgroup)"
    else:
        ok, why = cgroup.available()
        group = f"{km.cgroup}: " + ("available" if ok else f"NOT available here ({why})")
    in_group = "control group of the sandbox" if km.cgroup != "off" else "no control group"
    return [
        ("memory_bytes", _size(km.memory_bytes), "address space of each process (rlimit)"),
        ("cgroup_memory_bytes", _size(km.cgroup_memory_bytes),
         f"memory of the whole sandbox, tmpfs and shared memory included ({in_group})"),
        ("tmp_bytes", _size(km.tmp_bytes), "size of the private /tmp tmpfs (bubblewrap --size)"),
        ("max_file_bytes", _size(km.max_file_bytes), "largest file written (rlimit)"),
        ("max_processes", str(km.max_processes),
         f"processes and threads of the kernel's uid (rlimit; and {in_group})"),
        ("max_open_files", str(km.max_open_files), "open files of each process (rlimit)"),
        ("cpus", f"{km.cpus:g}", f"CPU share of the whole sandbox, in cores ({in_group})"),
        ("cpu_seconds", str(km.cpu_seconds), "CPU time of each process (rlimit)"),
        ("timeout", f"{ex.timeout} s" if ex.timeout else "none", "wall-clock time of one cell"),
        ("notebook_timeout", f"{ex.notebook_timeout} s", "wall-clock time of one notebook"),
        ("max_cell_output_bytes", _size(ex.max_cell_output_bytes), "output kept per cell"),
        ("max_notebook_output_bytes", _size(ex.max_notebook_output_bytes),
         "output kept per notebook"),
        ("cgroup", group, "where the group's bounds come from"),
    ]


BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
JUDGE_HEADER = "The test, run by the grader outside your kernel, failed:"


def split_hidden(source: str) -> tuple[str, str]:
    """A test cell's source as (public part, hidden part), nbgrader's delimiters removed."""
    public: list[str] = []
    hidden: list[str] = []
    inside = False
    for line in source.splitlines():
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        else:
            (hidden if inside else public).append(line)
    return "\n".join(public), "\n".join(hidden)


def _nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_test_cell(cell) -> bool:
    meta = _nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def safe_summary(exc: BaseException) -> str:
    """What feedback may show of a failed hidden test: no expected values, no test code."""
    from course.checks import CheckFailure

    if isinstance(exc, CheckFailure):
        lines = str(exc).splitlines()
        what = lines[0].split(":", 1)[0] if lines else "a hidden check"
        hint = [ln for ln in lines if ln.startswith("Hint:")]
        return "\n".join([f"{what}: does not match the reference (details withheld)", *hint])
    if isinstance(exc, JudgeError):
        return f"{type(exc).__name__}: {exc}"
    text = str(exc)
    if "where it happened in your code" in text:  # the student's own exception and traceback
        return f"{type(exc).__name__}: {text}"
    return f"{type(exc).__name__} in a hidden test (details withheld)"


def instructor_cells(config, resources) -> dict[str, tuple[str, bool]] | None:
    """``{grade_id: (source, is a code test cell)}`` of the notebook being autograded, as the
    instructor released it (from the gradebook); ``None`` outside autograding."""
    info = (resources or {}).get("nbgrader") or {}
    if not info.get("db_url"):
        return None
    from nbgrader.api import Gradebook, MissingEntry

    course_id = config.get("CourseDirectory", {}).get("course_id", "default_course")
    with Gradebook(info["db_url"], course_id=course_id) as gb:
        try:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
        except MissingEntry:
            return None
        tests = {g.name for g in notebook.grade_cells if g.cell_type == "code"}
        return {c.name: (c.source, c.name in tests) for c in notebook.source_cells}


# asked of a new kernel: the folder its `course` package comes from
COURSE_PROBE = {"course": "__import__('os').path.dirname(__import__('course').__file__)"}


def kernel_course(reply) -> str:
    """The folder a kernel's reply to :data:`COURSE_PROBE` names; :class:`GraderFailure` if
    the kernel could not import ``course``."""
    content = (reply or {}).get("content", {})
    found = content.get("user_expressions", {}).get("course", {})
    if found.get("status") != "ok":
        raise GraderFailure(f"the kernel cannot import the course package: "
                            f"{found.get('ename', content.get('status'))}: "
                            f"{found.get('evalue', '')}")
    try:
        return str(ast.literal_eval(found.get("data", {}).get("text/plain", "")))
    except (ValueError, SyntaxError):
        return str(found.get("data"))


class GradingStopped(RuntimeError):
    """The rest of the notebook cannot run; the message says why."""


class SandboxedExecute(Execute):
    """nbgrader's Execute, with the kernel sandboxed, the outputs capped, hidden tests judged
    in the grader's process (:mod:`course.judge`), and per-notebook time limits."""

    sandbox = Enum(["required", "off"], default_value="required", config=True,
                   help="'off' grades without the sandbox; every graded notebook reports it")
    max_cell_output_bytes = Integer(100_000, config=True,
                                    help="output kept per cell; the rest is replaced by a note")
    max_notebook_output_bytes = Integer(2_000_000, config=True,
                                        help="output kept per notebook")
    notebook_timeout = Integer(1800, config=True,
                               help="wall-clock seconds one notebook may run, hidden tests "
                                    "included; then its kernel is stopped")
    interrupt_grace = Integer(5, config=True,
                              help="seconds a cell gets to stop after an interrupt before the "
                                   "grader stops its kernel")
    # A graded kernel has nothing left to save once its last cell has answered: stopping it
    # at once saves the ~0.4 s nbclient's polite shutdown waits, per notebook.
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate", config=True,
                           help="how the kernel is stopped after the notebook")
    judge_hidden_tests = Bool(True, config=True,
                              help="run hidden tests in the grader's process (not in the "
                                   "student's kernel)")
    unsandboxed_note = Unicode(
        "WARNING: this notebook was graded WITHOUT the sandbox "
        "(--SandboxedExecute.sandbox=off): its code ran with the grader's rights.")

    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        record = nb.metadata.setdefault("course_grading", {})
        if self.sandbox == "off":
            self.kernel_manager_class = AsyncKernelManager
            self.log.warning(self.unsandboxed_note)
            record["sandbox"] = "off"
        else:
            bwrap = self.config.get("SandboxedKernelManager", {}).get("bwrap", BWRAP)
            ok, why = sandbox_available(bwrap)
            if not ok:
                raise SandboxUnavailable(
                    f"the grading sandbox cannot start: {why}. Install bubblewrap, or grade "
                    f"without it by passing --SandboxedExecute.sandbox=off explicitly.")
            self.kernel_manager_class = SandboxedKernelManager
            record["sandbox"] = "bubblewrap"
        record["judge"] = "grader" if self.judge_hidden_tests else "kernel"
        self._cell_bytes: dict[int, int] = {}
        self._notebook_bytes = 0
        self._capped: set[int] = set()
        self._deadline = time.monotonic() + self.notebook_timeout
        self.iopub_timeout = self.interrupt_grace  # how long an interrupted cell gets to stop
        self._current = -1
        self._started_km = None
        self._session = None
        self._faults: list[str] = list(record.get("faults", []))
        self._student_ran = False  # set when the first cell of the submission starts
        self._hidden = self._hidden_tests(resources or {})
        self._test_cells = {i for i, c in enumerate(nb.cells) if _is_test_cell(c)}
        try:
            return super().preprocess(nb, resources, km)
        except GraderFailure:
            raise
        except (DeadKernelError, KernelStopped, GradingStopped) as exc:
            if not self._student_ran:
                raise self._grader_failure(exc) from exc
            reason = (f"the kernel died ({exc}); later cells did not run"
                      if isinstance(exc, DeadKernelError) else str(exc))
            self._mark_not_run(nb, reason)
            return nb, resources
        except Exception as exc:  # noqa: BLE001 - not the student's doing: never a grade
            raise self._grader_failure(exc) from exc
        finally:
            if self._session is not None:
                self._session.close()
            if self._faults:
                nb.metadata["course_grading"]["faults"] = self._faults

    def _grader_failure(self, exc: BaseException) -> GraderFailure:
        when = ("before the submission's first cell ran" if not self._student_ran
                else f"in the grader, at cell {self._current}")
        log = ""
        km = getattr(self, "_started_km", None)
        if isinstance(km, SandboxedKernelManager) and not self._student_ran:
            tail = km.kernel_log()
            log = f"\nthe kernel's own output ended with:\n{tail}" if tail else ""
        failure = GraderFailure(f"{when}: {type(exc).__name__}: {exc}{log}")
        self.log.error("%s", failure)
        return failure

    # -- the kernel --------------------------------------------------------------------------

    async def async_start_new_kernel(self, **kwargs):
        self._started_km = self.km  # its log outlives nbclient's clean-up of a failed start
        return await super().async_start_new_kernel(**kwargs)

    async def async_start_new_kernel_client(self):
        """Start the kernel client, then ask the kernel which ``course`` it imports: a kernel
        that does not answer, or imports another ``course`` than the grader's, is the
        grader's failure, before any of the submission runs."""
        kc = await super().async_start_new_kernel_client()
        msg_id = kc.execute("", silent=True, store_history=False,
                            user_expressions=COURSE_PROBE)
        where = kernel_course(await self.async_wait_for_reply(msg_id))
        if hasattr(self.km, "seal"):
            self.km.seal()  # the kernel has bound its sockets: it writes nothing more there
        want = course_package_dir()
        if os.path.realpath(where) != want:
            raise GraderFailure(f"the kernel imports the course package from {where}, not from "
                                f"{want}, the one the grader checked")
        return kc

    # nbclient binds the synchronous versions at class level, to its own coroutines
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    # -- hidden tests ------------------------------------------------------------------------

    def _hidden_tests(self, resources) -> dict[str, tuple[str, str]]:
        """``{grade_id: (public part, whole test)}`` of the instructor's test cells, from the
        gradebook (never from the submission: a cell the student added is not judged).

        The kernel runs the public part, so the student sees its output; the grader then
        runs the whole test, public and hidden parts, and only its verdict counts."""
        cells = instructor_cells(self.config, resources) if self.judge_hidden_tests else None
        out = {}
        for name, (source, is_test) in (cells or {}).items():
            if is_test:
                public, hidden = split_hidden(source)
                out[name] = (public, public + "\n" + hidden)
        return out

    def preprocess_cell(self, cell, resources, index):
        self._current = index
        grade_id = _nbgrader_meta(cell).get("grade_id")
        parts = self._hidden.get(grade_id) if index in self._test_cells else None
        if parts is None:
            return super().preprocess_cell(cell, resources, index)
        public, judged = parts
        original = cell.source
        cell.source = public + "\npass"  # the hidden part never enters the kernel
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            cell.source = original
        if not any(o.output_type == "error" for o in cell.outputs):
            self._judge(cell, judged, grade_id)
        return cell, resources

    def _judge(self, cell, code: str, grade_id: str) -> None:
        if self._session is None:
            self._session = Session(self, call_timeout=self.timeout or 120,
                                    grace=self.interrupt_grace, deadline=self._deadline,
                                    log=self.log)
        before = self._session.input_calls
        started = time.monotonic()
        error, warned = self._session.run_hidden(code, grade_id)
        cell.metadata.setdefault("course_grading", {})["judge_seconds"] = round(
            time.monotonic() - started, 3)
        if self._session.input_calls > before:
            self._faults.append(f"{grade_id}: input() was called; grading has no keyboard")
        if warned and error is None:
            cell.outputs.append(NotebookNode(
                output_type="stream", name="stdout",
                text="Note: your code raised warnings during the hidden tests (they cost no "
                     "marks):\n" + "\n".join(sorted(set(warned))[:5]) + "\n"))
        if error is not None:
            evalue = str(error)
            cell.outputs.append(NotebookNode(
                output_type="error", ename=type(error).__name__, evalue=evalue,
                traceback=[f"{JUDGE_HEADER}\n"
                           f"{type(error).__name__}: {evalue}"]))
            cell.metadata["course_grading"]["feedback"] = safe_summary(error)

    # -- time limits -------------------------------------------------------------------------

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        remaining = max(1, int(self._deadline - time.monotonic()) + 1)
        return remaining if timeout is None else min(timeout, remaining)

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        self._student_ran = True
        if time.monotonic() >= self._deadline:
            await self._stop(f"the notebook ran past its {self.notebook_timeout} s time limit")
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        except CellTimeoutError:
            await self._stop(f"cell {cell_index} ran past its time limit and ignored the "
                             "interrupt")

    execute_cell = run_sync(async_execute_cell)  # nbclient binds its own at class level

    async def _stop(self, reason: str):
        try:
            await ensure_async(self.km.shutdown_kernel(now=True))
        except Exception:  # noqa: BLE001 - it is being killed anyway
            pass
        raise GradingStopped(reason + "; the grader stopped the kernel")

    def _mark_not_run(self, nb: NotebookNode, reason: str) -> None:
        """Give the cell that was running and every code cell after it an error with the
        reason, and record the reason in the notebook's metadata."""
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and (i == self._current
                                             or (i > self._current
                                                 and cell.get("execution_count") is None)):
                cell.outputs = list(cell.get("outputs", [])) if i == self._current else []
                cell.outputs.append(NotebookNode(output_type="error", ename="NotExecuted",
                                                 evalue=reason, traceback=[reason]))
        self._faults.append(reason)
        self.log.error(reason)

    # -- outputs -----------------------------------------------------------------------------

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        cell = kwargs["cell"]
        for out in cell.outputs:
            if out.output_type == "error" and out.ename == "StdinNotImplementedError":
                out.evalue = ("input() was called, but grading has no keyboard: this cell "
                              "stopped there")
                out.traceback = [f"StdinNotImplementedError: {out.evalue}"]
                self._faults.append(f"cell {kwargs.get('cell_index')}: input() was called")

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(json.dumps(content, default=str))
        used = self._cell_bytes.get(cell_index, 0)
        if (used + size > self.max_cell_output_bytes
                or self._notebook_bytes + size > self.max_notebook_output_bytes):
            if cell_index not in self._capped:
                self._capped.add(cell_index)
                outs.append(NotebookNode(
                    output_type="stream", name="stdout",
                    text=f"\n[output truncated by the grader: more than "
                         f"{self.max_cell_output_bytes:,} bytes in this cell or "
                         f"{self.max_notebook_output_bytes:,} in the notebook]\n"))
            return None
        self._cell_bytes[cell_index] = used + size
        self._notebook_bytes += size
        if cell_index in self._test_cells:
            msg = self._neutral(msg)
        return super().output(outs, msg, display_id, cell_index)

    @staticmethod
    def _neutral(msg):
        """In a test cell, stderr (a warning) costs no marks and a displayed number gives no
        partial credit: only an error fails the cell."""
        kind = msg.get("msg_type")
        if kind == "stream" and msg["content"].get("name") == "stderr":
            msg = {**msg, "content": {**msg["content"], "name": "stdout",
                                      "text": "[stderr] " + str(msg["content"].get("text", ""))}}
        elif kind == "execute_result":
            content = {k: v for k, v in msg["content"].items() if k != "execution_count"}
            msg = {**msg, "msg_type": "display_data", "content": content,
                   "header": {**msg.get("header", {}), "msg_type": "display_data"}}
        return msg


def autograde_preprocessors() -> list:
    """nbgrader's own autograde preprocessors, with :class:`SandboxedExecute` for Execute,
    :class:`course.gradebook.SaveAutoGradesAtOnce` (one transaction) for SaveAutoGrades, and
    :class:`course.gradebook.ForgetAutoGrades` first (a failed run leaves no score)."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import SaveAutoGrades

    from course.gradebook import ForgetAutoGrades, SaveAutoGradesAtOnce

    swap = {Execute: SandboxedExecute, SaveAutoGrades: SaveAutoGradesAtOnce}
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [ForgetAutoGrades, *(swap.get(p, p) for p in default)]
