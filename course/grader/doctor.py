"""``python -m course.grader doctor``: is this machine fit to grade? One line per check.

Each check says ``ok`` or ``FAIL`` and why; the command exits 1 if any failed. In order:

1. bubblewrap: installed, and able to make the sandbox's namespaces;
2. the sandbox: a kernel starts inside it, under its limits, and answers;
3. the kernel's ``course``: the kernel imports the very package the grader imported;
4. the gradebook: it opens, and a write is accepted (then rolled back);
5. the canary of every assignment (or of those named): the reference scores full marks and
   the blank release zero, graded by ``nbgrader autograde`` with the course's configuration
   in a scratch copy of the course (:mod:`course.grader.canary`).

It also prints the sandbox's configured bounds.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

from course.grader.coursedir import Course
from course.grader.errors import StepFailed

__all__ = ["run", "sandbox_bounds"]


def _bubblewrap(root: Path, config) -> tuple[bool, str]:
    from course.grader.sandbox.bwrap import BWRAP, sandbox_available

    bwrap = config.get("SandboxedKernelManager", {}).get("bwrap", BWRAP)
    ok, why = sandbox_available(bwrap)
    return ok, f"{bwrap} creates the sandbox's namespaces" if ok else why


async def _kernel_answers(config) -> str:
    """Start a sandboxed kernel as grading does; return where its ``course`` comes from."""
    from course.grader.sandbox.kernel import COURSE_PROBE, SandboxedKernelManager, kernel_course

    km = SandboxedKernelManager(kernel_name="python3", config=config)
    folder = tempfile.mkdtemp(prefix="course-doctor-")
    try:
        await km.start_kernel(cwd=folder)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            msg_id = kc.execute("", silent=True, user_expressions=COURSE_PROBE)
            while True:
                reply = await kc.get_shell_msg(timeout=60)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return kernel_course(reply)
        except Exception as exc:
            tail = km.kernel_log()
            raise RuntimeError(f"{exc}" + (f"; the kernel's output ended with: {tail[-300:]}"
                                           if tail else "")) from exc
        finally:
            kc.stop_channels()
    finally:
        await km.shutdown_kernel(now=True)
        shutil.rmtree(folder, ignore_errors=True)


def _gradebook(course: Course) -> tuple[bool, str]:
    url = course.db_url
    try:
        with course.gradebook() as gb:
            student = gb.update_or_create_student("course-doctor-probe")
            gb.db.flush()
            gb.db.delete(student)
            gb.db.rollback()
    except Exception as exc:  # noqa: BLE001 - the check reports whatever went wrong
        return False, f"{_safe_url(url)}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return True, f"{_safe_url(url)} opens and accepts a write (rolled back)"


def _safe_url(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


def _canary(root: Path, assignment: str) -> tuple[bool, str]:
    from course.grader import canary, steps
    from course.grader.gradebook import read_scores

    started = time.perf_counter()
    try:
        scratch = canary.prepare(root, assignment)
    except (StepFailed, ValueError, OSError) as exc:
        return False, f"the scratch course could not be made: {exc}"
    try:
        try:
            steps.nbgrader(["autograde", assignment, "--force"], scratch)
            why = {}
        except StepFailed as exc:
            why = {canary.REFERENCE: str(exc).splitlines()[-1], canary.BLANK: "see above"}
        problem = canary.verdict(read_scores(scratch, assignment), why=why)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if problem:
        return False, problem
    return True, (f"reference full marks, blank release zero "
                  f"({time.perf_counter() - started:.0f} s)")


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} B"


def sandbox_bounds(config) -> list[tuple[str, str, str]]:
    """Every bound on what a sandboxed kernel may consume, as ``config`` sets it:
    ``(name, value, how it is enforced)``, in the order of the audit table of
    ``docs/grading-security.md``."""
    from course.grader import cgroup
    from course.grader.preprocessors.execute import SandboxedExecute
    from course.grader.sandbox.kernel import SandboxedKernelManager

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


def _line(ok: bool, name: str, detail: str) -> str:
    return f"{'ok  ' if ok else 'FAIL'}  {name:<22} {detail}"


def run(root: Path, only: list[str] | None = None, db_url: str | None = None,
        out=print) -> int:
    from course.grader.sandbox.bwrap import course_package_dir

    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        out(f"error: {root} is not a course folder (no nbgrader_config.py)")
        return 2
    course = Course.at(root, db_url)
    config = course.config
    failed = 0

    def check(name: str, ok: bool, detail: str) -> bool:
        nonlocal failed
        failed += not ok
        out(_line(ok, name, detail))
        return ok

    bwrap_ok = check("bubblewrap", *_bubblewrap(root, config))
    want = course_package_dir()
    if bwrap_ok:
        try:
            where = asyncio.run(_kernel_answers(config))
        except Exception as exc:  # noqa: BLE001 - the check reports whatever went wrong
            check("sandbox", False, f"a sandboxed kernel did not start: {exc}")
            check("kernel's course", False, "no kernel to ask")
        else:
            check("sandbox", True, "a sandboxed kernel started and answered")
            same = os.path.realpath(where) == want
            check("kernel's course", same, f"the kernel imports {where}" + (
                "" if same else f", not {want}, the grader's"))
    else:
        check("sandbox", False, "no bubblewrap")
        check("kernel's course", False, "no sandbox")
    check("gradebook", *_gradebook(course))
    for name, value, how in sandbox_bounds(config):
        out(f"      bound {name:<26} {value:<12} {how}")
    asgs = course.assignments
    unknown = sorted(set(only or []) - set(asgs))
    if unknown:
        out(f"error: no such assignment in source/: {', '.join(unknown)}")
        return 2
    for assignment in (only or asgs):
        check(f"canary {assignment}", *_canary(root, assignment))
    out(f"{'all checks passed' if not failed else f'{failed} check(s) failed'}")
    return 1 if failed else 0
