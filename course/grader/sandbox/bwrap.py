"""The bubblewrap command line of a sandboxed kernel: what it sees, binds and runs first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from course.grader.errors import SandboxUnavailable

__all__ = ["BWRAP", "course_package_dir", "sandbox_available", "sandbox_command"]

BWRAP = "/usr/bin/bwrap"
SYSTEM_DIRS = ("/usr", "/etc", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
LIMITS_ENV = "COURSE_SANDBOX_LIMITS"
COURSE_PACKAGE_ENV = "COURSE_PACKAGE_DIR"
# the only variables of the grader's environment that reach the kernel, which starts from an
# empty one: course.widgets.FIGURES_ENV (SandboxedExecute.draw_figures)
FORWARDED_ENV = ("COURSE_FIGURES",)

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
                    threads: int = 1, tmp_bytes: int = 256 * 1024**2,
                    forwarded: dict | None = None) -> list[str]:
    """Wrap ``kernel_cmd`` (``python -m ipykernel_launcher -f ...``) in bubblewrap. The
    private ``/tmp`` holds at most ``tmp_bytes`` (it is RAM, outside any address space).
    Of ``forwarded`` (the environment the grader meant for the kernel) only the variables
    named in :data:`FORWARDED_ENV` reach it."""
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
    env.update({k: v for k, v in (forwarded or {}).items() if k in FORWARDED_ENV})
    for key, value in env.items():
        args += ["--setenv", key, value]
    python, *rest = kernel_cmd
    if rest[:2] != ["-m", "ipykernel_launcher"]:
        raise SandboxUnavailable(f"cannot sandbox this kernel command: {kernel_cmd}")
    # The entry point runs by its path, in isolated mode (-I: neither the working folder,
    # which is the student's, nor PYTHONPATH is on sys.path), and loads the grader's own
    # course package from COURSE_PACKAGE_ENV: a `course/` folder in a submission can never
    # stand in for it, and another installed `course` cannot shadow it.
    entry = os.path.join(course_package_dir(), "grader", "sandbox", "entry.py")
    return args + ["--", python, "-I", "-B", entry, *rest[2:]]


