"""The grading sandbox: each autograded notebook's kernel runs in bubblewrap.

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

The package: ``bwrap`` (the bubblewrap command line and what it binds), ``kernel`` (the kernel
manager that starts kernels inside it, and the probe of the ``course`` package a kernel
imports) and ``entry`` (the entry point that runs first inside the sandbox: limits, an
unprivileged uid, then the kernel). The preprocessor that uses them is
:class:`course.grader.preprocessors.execute.SandboxedExecute`.
"""
