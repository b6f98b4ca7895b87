"""Entry point inside the grading sandbox: set limits, drop privileges, start the kernel.

Run by :mod:`course.sandbox` as ``python -m course._sandbox_entry -f CONNECTION_FILE ...``
inside bubblewrap; the arguments after it are ipykernel's.  Limits come as JSON in
``COURSE_SANDBOX_LIMITS``.  The process starts as root without capabilities other than
CAP_SETUID and CAP_SETGID, which it gives up by switching to an unprivileged uid (root
would be exempt from the process limit).
"""

import json
import os
import resource
import runpy
import shutil
import sys


def main() -> None:
    limits = json.loads(os.environ.pop("COURSE_SANDBOX_LIMITS"))
    os.environ.pop("JPY_PARENT_PID", None)  # else the kernel thinks its parent died
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
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    sys.argv = ["ipykernel_launcher", *sys.argv[1:]]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
