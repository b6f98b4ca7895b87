"""nbgrader's Execute, with the kernel in the grading sandbox and hidden tests judged outside it.

The course's ``nbgrader_config.py`` puts :class:`SandboxedExecute` in the place of nbgrader's
``Execute`` in ``Autograde.autograde_preprocessors`` (see :func:`course.grader.preprocessors.
autograde_preprocessors`), so ``nbgrader autograde``, the formgrader and the course's own
commands are protected alike (students' ``Validate`` keeps the plain kernel: it runs their own
code on their own machine). For each notebook it

* starts the kernel in the sandbox (:mod:`course.grader.sandbox`) and checks that it imports
  the grader's own ``course`` package;
* runs each test cell's public part in the kernel, and its whole test, hidden part included,
  in the grader's process (:mod:`course.grader.judge`);
* enforces the time limits of a cell and of the notebook, and caps the output kept;
* tells the grader's failures (never a grade: :class:`course.grader.errors.GraderFailure`)
  from the student's (the notebook is graded, with the reason).

If the sandbox cannot start, grading of the notebook fails with a message saying why, unless
the instructor runs with ``--SandboxedExecute.sandbox=off``, which the run then reports on
every notebook it grades.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Integer, Unicode

from course.grader.cells import (
    FAULTS,
    FEEDBACK,
    JUDGE,
    JUDGE_HEADER,
    JUDGE_SECONDS,
    SANDBOX,
    cell_record,
    instructor_cells,
    is_test_cell,
    nbgrader_meta,
    notebook_record,
    split_hidden,
)
from course.grader.errors import (
    GraderFailure,
    GradingStopped,
    JudgeError,
    KernelStopped,
    SandboxUnavailable,
)
from course.grader.judge.session import Session
from course.grader.misconceptions import Recogniser, catalogue_for
from course.grader.sandbox.bwrap import BWRAP, course_package_dir, sandbox_available
from course.grader.sandbox.kernel import COURSE_PROBE, SandboxedKernelManager, kernel_course

__all__ = ["SandboxedExecute", "safe_summary"]

NO_FIGURE_FORMATS = "--InlineBackend.figure_formats=[]"  # a kernel argument: figures as text


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
    draw_figures = Bool(True, config=True,
                        help="draw the notebook's figures into the graded notebook and its "
                             "feedback; False shows each as one line of text (matplotlib's and "
                             "the course's widgets'), which saves a third to a half of a "
                             "notebook's run time and changes no score")
    name_misconceptions = Bool(True, config=True,
                               help="name the typical mistake of source/<a>/mistakes.py that "
                                    "each failing exercise behaves like (needs the judge)")
    unsandboxed_note = Unicode(
        "WARNING: this notebook was graded WITHOUT the sandbox "
        "(--SandboxedExecute.sandbox=off): its code ran with the grader's rights.")

    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        record = notebook_record(nb)
        if self.sandbox == "off":
            self.kernel_manager_class = AsyncKernelManager
            self.log.warning(self.unsandboxed_note)
            record[SANDBOX] = "off"
        else:
            bwrap = self.config.get("SandboxedKernelManager", {}).get("bwrap", BWRAP)
            ok, why = sandbox_available(bwrap)
            if not ok:
                raise SandboxUnavailable(
                    f"the grading sandbox cannot start: {why}. Install bubblewrap, or grade "
                    f"without it by passing --SandboxedExecute.sandbox=off explicitly.")
            self.kernel_manager_class = SandboxedKernelManager
            record[SANDBOX] = "bubblewrap"
        record[JUDGE] = "grader" if self.judge_hidden_tests else "kernel"
        self._cell_bytes: dict[int, int] = {}
        self._notebook_bytes = 0
        self._capped: set[int] = set()
        self._deadline = time.monotonic() + self.notebook_timeout
        self.iopub_timeout = self.interrupt_grace  # how long an interrupted cell gets to stop
        self._current = -1
        self._started_km = None
        self._session = None
        self._faults: list[str] = list(record.get(FAULTS, []))
        self._student_ran = False  # set when the first cell of the submission starts
        self._hidden = self._hidden_tests(resources or {})
        self._recogniser = self._make_recogniser(resources or {})
        self._test_cells = {i for i, c in enumerate(nb.cells) if is_test_cell(c)}
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except GraderFailure:
            raise
        except (DeadKernelError, KernelStopped, GradingStopped) as exc:
            if not self._student_ran:
                raise self._grader_failure(exc) from exc
            reason = (f"the kernel died ({exc}); later cells did not run"
                      if isinstance(exc, DeadKernelError) else str(exc))
            self._mark_not_run(nb, reason)
        except Exception as exc:  # noqa: BLE001 - not the student's doing: never a grade
            raise self._grader_failure(exc) from exc
        finally:
            if self._session is not None:
                self._session.close()
            if self._faults:
                notebook_record(nb)[FAULTS] = self._faults
        self._name_misconceptions(nb)
        return nb, resources

    def _name_misconceptions(self, nb) -> None:
        """Each failing exercise's misconception, in the notebook's record and its feedback
        (:mod:`course.grader.misconceptions`); a failure here leaves the grades as they are."""
        if self._recogniser is None:
            return
        try:
            self._recogniser.finish(nb)
        except Exception as exc:  # noqa: BLE001 - naming is no grade: the grades stand
            self.log.warning("misconceptions not named: %s: %s", type(exc).__name__, exc)

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
        if not self.draw_figures:
            from course.widgets import FIGURES_ENV

            # matplotlib's inline backend then has no picture format to render a figure in,
            # and the course's widgets read the variable (course.widgets.figures_off)
            kwargs["env"] = {**(kwargs.get("env") or os.environ), FIGURES_ENV: "off"}
            if NO_FIGURE_FORMATS not in self.extra_arguments:
                self.extra_arguments = [*self.extra_arguments, NO_FIGURE_FORMATS]
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
        found = instructor_cells(self.config, resources) if self.judge_hidden_tests else None
        self._released = {name: source for name, (source, is_test) in (found or {}).items()
                          if not is_test}
        out = {}
        for name, (source, is_test) in (found or {}).items():
            if is_test:
                public, hidden = split_hidden(source)
                out[name] = (public, public + "\n" + hidden)
        return out

    def _make_recogniser(self, resources) -> Recogniser | None:
        """The namer of misconceptions, if the hidden tests are judged here and the
        assignment's source folder has a mistakes.py (:mod:`course.grader.misconceptions`)."""
        info = resources.get("nbgrader") or {}
        if not (self.name_misconceptions and self._hidden and info.get("assignment")):
            return None
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        try:
            catalogue = catalogue_for(Path(coursedir.root) / coursedir.source_directory,
                                      info["assignment"], info.get("notebook") or
                                      info["assignment"])
        except Exception as exc:  # noqa: BLE001 - a broken mistakes.py names nothing
            self.log.warning("misconceptions will not be named: %s: %s",
                             type(exc).__name__, exc)
            return None
        return None if catalogue is None else Recogniser(catalogue, self._released, self.log)

    def preprocess_cell(self, cell, resources, index):
        self._current = index
        grade_id = nbgrader_meta(cell).get("grade_id")
        parts = self._hidden.get(grade_id) if index in self._test_cells else None
        if parts is None:
            cell, resources = super().preprocess_cell(cell, resources, index)
            if self._recogniser is not None and nbgrader_meta(cell).get("solution"):
                self._recogniser.solution_ran(cell)
            return cell, resources
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
        if self._recogniser is None:
            error, warned = self._session.run_hidden(code, grade_id)
        else:
            with self._recogniser.judging(self._session.calls, grade_id):
                error, warned = self._session.run_hidden(code, grade_id)
        cell_record(cell)[JUDGE_SECONDS] = round(
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
            cell_record(cell)[FEEDBACK] = safe_summary(error)

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
