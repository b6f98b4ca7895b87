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
* writes only to a private ``/tmp`` (its ``HOME`` is ``/tmp/home``);
* has no network, not even the host's loopback (its own network namespace), and
  talks to the grader through Unix sockets in a folder bound in for it;
* runs in its own PID namespace as an unprivileged uid, so every process it
  starts dies with it, and under limits on memory, CPU time, processes and
  file size;
* has its output capped per cell and per notebook, with a visible note.

If the sandbox cannot start, grading of the notebook fails with a message saying
why, unless the instructor runs with ``--SandboxedExecute.sandbox=off``, which
the run then reports on every notebook it grades.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import CaselessStrEnum, Enum, Integer, Unicode

BWRAP = "/usr/bin/bwrap"
SYSTEM_DIRS = ("/usr", "/etc", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
LIMITS_ENV = "COURSE_SANDBOX_LIMITS"


class SandboxUnavailable(RuntimeError):
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


def _readonly_paths() -> list[str]:
    """The Python environment and the course package, as the kernel needs them."""
    import course

    paths = {sys.prefix, sys.base_prefix, str(Path(course.__file__).resolve().parent)}
    paths.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    # keep the shortest distinct paths: a path inside another is bound with it
    out: list[str] = []
    for p in sorted(paths, key=len):
        if not any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


def sandbox_command(kernel_cmd: list[str], *, cwd: str, socket_dir: str, limits: dict,
                    mpl_cache: str | None = None, bwrap: str = BWRAP) -> list[str]:
    """Wrap ``kernel_cmd`` (``python -m ipykernel_launcher -f ...``) in bubblewrap."""
    args = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
            # the entry point drops to an unprivileged uid before the kernel starts
            "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    for d in SYSTEM_DIRS:
        args += ["--ro-bind-try", d, d]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home"]
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
    }
    for key, value in env.items():
        args += ["--setenv", key, value]
    python, *rest = kernel_cmd
    if rest[:2] != ["-m", "ipykernel_launcher"]:
        raise SandboxUnavailable(f"cannot sandbox this kernel command: {kernel_cmd}")
    return args + ["--", python, "-m", "course._sandbox_entry", *rest[2:]]


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside :func:`sandbox_command`."""

    bwrap = Unicode(BWRAP, config=True, help="the bubblewrap executable")
    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True,
                                help="ipc: TCP loopback does not cross the network namespace")
    memory_bytes = Integer(2 * 1024**3, config=True, help="address-space limit of the kernel")
    cpu_seconds = Integer(900, config=True, help="CPU time limit of the kernel, in seconds")
    max_processes = Integer(64, config=True, help="processes and threads of the sandbox uid")
    max_file_bytes = Integer(64 * 1024**2, config=True, help="largest file the kernel may write")

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
                  "uid": random.randint(200_000, 299_999)}
        try:
            import matplotlib

            mpl_cache = matplotlib.get_cachedir()
        except Exception:  # matplotlib is optional for the sandbox itself
            mpl_cache = None
        cmd = sandbox_command(kernel_cmd, cwd=str(kw.get("cwd") or os.getcwd()),
                              socket_dir=self._socket_dir, limits=limits, mpl_cache=mpl_cache,
                              bwrap=self.bwrap)
        return await super()._async_launch_kernel(cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(getattr(self, "_socket_dir", ""), ignore_errors=True)

    cleanup_resources = _async_cleanup_resources


class SandboxedExecute(Execute):
    """nbgrader's Execute, with the kernel sandboxed and the outputs capped."""

    sandbox = Enum(["required", "off"], default_value="required", config=True,
                   help="'off' grades without the sandbox; every graded notebook reports it")
    max_cell_output_bytes = Integer(100_000, config=True,
                                    help="output kept per cell; the rest is replaced by a note")
    max_notebook_output_bytes = Integer(2_000_000, config=True,
                                        help="output kept per notebook")
    unsandboxed_note = Unicode(
        "WARNING: this notebook was graded WITHOUT the sandbox "
        "(--SandboxedExecute.sandbox=off): its code ran with the grader's rights.")

    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        if self.sandbox == "off":
            self.kernel_manager_class = AsyncKernelManager
            self.log.warning(self.unsandboxed_note)
            nb.metadata["course_grading"] = {"sandbox": "off"}
        else:
            bwrap = self.config.get("SandboxedKernelManager", {}).get("bwrap", BWRAP)
            ok, why = sandbox_available(bwrap)
            if not ok:
                raise SandboxUnavailable(
                    f"the grading sandbox cannot start: {why}. Install bubblewrap, or grade "
                    f"without it by passing --SandboxedExecute.sandbox=off explicitly.")
            self.kernel_manager_class = SandboxedKernelManager
            nb.metadata["course_grading"] = {"sandbox": "bubblewrap"}
        self._cell_bytes: dict[int, int] = {}
        self._notebook_bytes = 0
        self._capped: set[int] = set()
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError as exc:
            self._mark_not_run(nb, f"the kernel died ({exc}); later cells did not run")
            return nb, resources

    def _mark_not_run(self, nb: NotebookNode, reason: str) -> None:
        """Give every code cell that did not finish an error output with the reason."""
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.get("execution_count") is None:
                cell.outputs = [NotebookNode(output_type="error", ename="NotExecuted",
                                             evalue=reason, traceback=[reason])]
        self.log.error(reason)

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
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
        return super().output(outs, msg, display_id, cell_index)


def autograde_preprocessors() -> list:
    """nbgrader's own autograde preprocessors, with :class:`SandboxedExecute` for Execute."""
    from nbgrader.converters.autograde import Autograde

    return [SandboxedExecute if p is Execute else p
            for p in Autograde.class_traits()["autograde_preprocessors"].default()]
