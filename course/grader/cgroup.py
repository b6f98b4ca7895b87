"""A control group around each grading sandbox: the bounds that resource limits cannot give.

An rlimit bounds one process's address space, but a submission can hold memory that is in
no address space (a file in a tmpfs, a ``memfd``, System V shared memory, pipe buffers) and
can spread its CPU time over many processes. A control group counts all of it, for every
process of the sandbox together: its memory limit stops the sandbox (the kernel is killed,
as a dead kernel it costs only what had not run), its CPU quota keeps it to its share of the
machine so the other kernels of a batch keep their speed and their time limits, and its
process limit backs up the per-uid one.

The group is made below the grader's own, in cgroup v2 or in the v1 hierarchies of the
``memory``, ``cpu`` and ``pids`` controllers, and needs the right to write there (root, or
a delegated subtree). :func:`available` says whether this machine offers it; the sandbox
uses it when it can (``SandboxedKernelManager.cgroup = "auto"``), or insists on it
(``"required"``). The sandboxed command joins the group before it execs bubblewrap
(:func:`join_command`), so every process of the sandbox is in it from the start.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cgroup", "CgroupUnavailable", "Limits", "available", "join_command"]

ROOT = Path("/sys/fs/cgroup")
PROC = Path("/proc/self/cgroup")  # which group this process is in
PERIOD_US = 100_000  # the CPU quota's period


class CgroupUnavailable(OSError):
    """No control group can be made here (no cgroup file system, or no right to write)."""


@dataclass(frozen=True)
class Limits:
    """What the group bounds; 0 leaves that resource to the other limits."""

    memory_bytes: int = 0  # RAM of every process together, page cache and tmpfs included
    cpus: float = 0.0  # CPU time per wall-clock second, in cores
    pids: int = 0  # processes and threads together


def _own(root: Path, proc: Path = PROC) -> dict[str, Path]:
    """``{controller: folder of this process's group}``; the key ``""`` for cgroup v2."""
    out: dict[str, Path] = {}
    for line in Path(proc).read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        rel = path.lstrip("/")
        if controllers == "" and (root / "cgroup.controllers").is_file():
            out[""] = root / rel
        for name in controllers.split(","):
            if name in ("memory", "cpu", "pids") and (root / name).is_dir():
                out[name] = root / name / rel
    return out


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


class Cgroup:
    """One group, made by :meth:`create` and removed by :meth:`remove`."""

    def __init__(self, limits: Limits, *, name: str | None = None, root: Path = ROOT,
                 proc: Path = PROC):
        self.limits = limits
        self.name = name or f"course-kernel-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.root = Path(root)
        self.proc = Path(proc)
        self.folders: list[Path] = []

    def _v2(self, parent: Path) -> list[Path]:
        wanted = {"memory": self.limits.memory_bytes, "cpu": self.limits.cpus,
                  "pids": self.limits.pids}
        need = [c for c, v in wanted.items() if v]
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        missing = [c for c in need if c not in enabled]
        if missing:
            _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
        folder = parent / self.name
        folder.mkdir()
        self.folders = [folder]
        if self.limits.memory_bytes:
            _write(folder / "memory.max", str(self.limits.memory_bytes))
            if (folder / "memory.swap.max").exists():
                _write(folder / "memory.swap.max", "0")
        if self.limits.cpus:
            _write(folder / "cpu.max", f"{int(self.limits.cpus * PERIOD_US)} {PERIOD_US}")
        if self.limits.pids:
            _write(folder / "pids.max", str(self.limits.pids))
        return [folder / "cgroup.procs"]

    def _v1(self, own: dict[str, Path]) -> list[Path]:
        settings = {
            "memory": [("memory.limit_in_bytes", self.limits.memory_bytes),
                       ("memory.memsw.limit_in_bytes", self.limits.memory_bytes)],
            "cpu": [("cpu.cfs_period_us", PERIOD_US),
                    ("cpu.cfs_quota_us", int(self.limits.cpus * PERIOD_US))],
            "pids": [("pids.max", self.limits.pids)],
        }
        wanted = {"memory": self.limits.memory_bytes, "cpu": self.limits.cpus,
                  "pids": self.limits.pids}
        procs = []
        for controller, value in wanted.items():
            if not value:
                continue
            if controller not in own:
                raise CgroupUnavailable(f"no {controller} controller under {self.root}")
            folder = own[controller] / self.name
            folder.mkdir()
            self.folders.append(folder)
            for filename, setting in settings[controller]:
                if filename == "memory.memsw.limit_in_bytes" and not (folder / filename).exists():
                    continue  # no swap accounting: there is nothing to swap to either
                _write(folder / filename, str(setting))
            procs.append(folder / "cgroup.procs")
        return procs

    def create(self) -> list[Path]:
        """Make the group with its limits; return the ``cgroup.procs`` files a process
        writes its pid to, to join it. Raises :class:`CgroupUnavailable`."""
        try:
            own = _own(self.root, self.proc)
            if "" in own:
                return self._v2(own[""])
            return self._v1(own)
        except CgroupUnavailable:
            self.remove()
            raise
        except OSError as exc:
            self.remove()
            raise CgroupUnavailable(f"cannot make a control group under {self.root}: "
                                    f"{exc}") from exc

    def remove(self, wait: float = 2.0) -> None:
        """Remove the group once its processes are gone (waiting up to ``wait`` seconds)."""
        deadline = time.monotonic() + wait
        for folder in reversed(self.folders):
            while folder.exists():
                try:
                    folder.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break  # a process still in it: the kernel manager's log says so
                    time.sleep(0.05)
        self.folders = [f for f in self.folders if f.exists()]

    def peak_memory(self) -> int | None:
        """The most memory the group has held, in bytes, where the kernel reports it."""
        for folder in self.folders:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                try:
                    return int((folder / name).read_text())
                except (OSError, ValueError):
                    continue
        return None


def join_command(procs: list[Path], command: list[str]) -> list[str]:
    """``command``, run by a shell that first writes its own pid to every ``procs`` file (so
    ``command`` and everything it starts are in the group) and exits 70 if it cannot."""
    script = ('while [ "$1" != -- ]; do echo $$ > "$1" || exit 70; shift; done; shift; '
              'exec "$@"')
    return ["/bin/sh", "-c", script, "course-cgroup", *map(str, procs), "--", *command]


def available(root: Path = ROOT) -> tuple[bool, str]:
    """Can a group with a memory, CPU and process limit be made here? (Makes one, removes it.)"""
    probe = Cgroup(Limits(memory_bytes=1 << 30, cpus=1.0, pids=64), root=root)
    try:
        probe.create()
    except CgroupUnavailable as exc:
        return False, str(exc)
    probe.remove()
    return True, f"control groups under {root}"
