"""The kernel manager of the sandbox: every kernel it starts runs inside bubblewrap."""

from __future__ import annotations

import ast
import os
import random
import shutil
import tempfile

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, Enum, Float, Integer, Unicode

from course.grader import cgroup
from course.grader.errors import GraderFailure, SandboxUnavailable
from course.grader.sandbox.bwrap import BWRAP, sandbox_command

__all__ = ["COURSE_PROBE", "SandboxedKernelManager", "kernel_course"]


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
        except Exception:  # noqa: BLE001 - matplotlib is optional for the sandbox itself
            mpl_cache = None
        cmd = sandbox_command(kernel_cmd, cwd=str(kw.get("cwd") or os.getcwd()),
                              socket_dir=self._socket_dir, limits=limits, mpl_cache=mpl_cache,
                              bwrap=self.bwrap, threads=self.threads, tmp_bytes=self.tmp_bytes,
                              forwarded=kw.get("env"))
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
