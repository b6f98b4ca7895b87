"""Entry point inside the grading sandbox: set limits, drop privileges, start the kernel.

Run by :mod:`course.grader.sandbox.bwrap` as ``python -I -B
/path/to/course/grader/sandbox/entry.py -f CONNECTION_FILE ...`` inside bubblewrap; the
arguments after it are ipykernel's. Limits come as JSON in ``COURSE_SANDBOX_LIMITS``. The
process starts as root without capabilities other than CAP_SETUID and CAP_SETGID, which it
gives up by switching to an unprivileged uid (root would be exempt from the process limit).

Isolated mode keeps the working folder (the student's submission) off ``sys.path`` while this
runs, so nothing the student submitted runs before the limits hold. Once they do, the
``course`` package is loaded from ``COURSE_PACKAGE_DIR``, the folder the grader imported it
from: the kernel's ``import course`` is then the grader's ``course``, whatever else the
environment could import under that name. The working folder is put back on ``sys.path``
last, as a kernel has it, for the student's own modules.

This file imports only the standard library: it must run before anything else is trusted.
"""

import importlib.util
import json
import os
import resource
import runpy
import shutil
import sys


def _drop_privileges(limits: dict) -> None:
    cache = "/tmp/.matplotlib-cache"
    target = os.environ.get("MPLCONFIGDIR")
    if target and os.path.isdir(cache):
        shutil.copytree(cache, target, dirs_exist_ok=True)  # no font-cache rebuild per kernel
    uid = int(limits["uid"])
    for path in ("/tmp", "/tmp/home"):
        os.chown(path, uid, uid)
    if target and os.path.isdir(target):
        for root, dirs, files in os.walk(target):
            for name in dirs + files:
                os.chown(os.path.join(root, name), uid, uid)
        os.chown(target, uid, uid)
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory"], limits["memory"]))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"] + 5))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["nofile"], limits["nofile"]))
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))  # POSIX message queues: kernel memory
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def load_course(folder: str):
    """Import the ``course`` package from exactly ``folder`` and return it."""
    init = os.path.join(folder, "__init__.py")
    spec = importlib.util.spec_from_file_location("course", init,
                                                  submodule_search_locations=[folder])
    if spec is None or not os.path.isfile(init):
        raise SystemExit(f"course sandbox: no course package in {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["course"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    limits = json.loads(os.environ.pop("COURSE_SANDBOX_LIMITS"))
    package = os.environ.pop("COURSE_PACKAGE_DIR")
    os.environ.pop("JPY_PARENT_PID", None)  # else the kernel thinks its parent died
    _drop_privileges(limits)
    load_course(package)
    sys.path.insert(0, os.getcwd())  # the student's own modules, as in any kernel
    sys.argv = ["ipykernel_launcher", *sys.argv[1:]]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
