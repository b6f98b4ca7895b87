"""The notebook's cell conventions, and the schema of the metadata the grader writes.

Cells (nbgrader's metadata, ``cell.metadata.nbgrader``):

* a **solution cell** (``solution``, not ``grade``): its ``grade_id`` is the name of the
  function it defines; the instructor's code sits between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``. Marked ``"course": {"pasted_from": "<assignment>"}`` in its
  metadata, it holds the student's own answer to another assignment and is no exercise;
* a **test cell** (``grade``, not ``solution``, code): its ``grade_id`` starts with the
  function it tests (``fit_least_squares_xor_gives_zero_w``), which is how it is attributed
  to its exercise; its hidden part sits between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS``;
* a **written answer** (``grade`` and ``solution``, markdown), right after its question cell
  headed ``### Question: <title> (written, P points)``: graded by a person.

What the grader writes into a graded notebook lives under one key, :data:`GRADING_KEY`, and
only the grader writes it (a submission's own copy is dropped before grading):

=====================  =======================================================================
notebook ``sandbox``   ``"bubblewrap"`` or ``"off"``: how its kernel ran
notebook ``judge``     ``"grader"`` or ``"kernel"``: where hidden tests ran
notebook ``faults``    list of str: what went wrong that was not a failed test (a repaired or
                       replaced file, ``input()``, a kernel stopped), shown to the instructor
notebook ``replaced``  True: the submission could not be processed and the release stood in
notebook ``misconceptions``
                       dict: each failing exercise (function) -> ``{"status": "recognised" |
                       "unrecognised" | "not attempted", "mistakes": [names of mistakes.py's
                       MISTAKES it behaves like], "calls": calls of it the judge saw,
                       "replayed": calls replayed on the mistakes}``
                       (:mod:`course.grader.misconceptions`); absent if nothing failed
cell ``judge_seconds`` float: how long the judge took over the cell's hidden test
cell ``feedback``      str: what feedback may show of a failed hidden test
=====================  =======================================================================
"""

from __future__ import annotations

import re

__all__ = ["BEGIN_HIDDEN", "END_HIDDEN", "GRADING_KEY", "JUDGE_HEADER", "MISCONCEPTIONS",
           "cell_record",
           "exercise_of", "exercises", "faults", "forget_records", "instructor_cells",
           "is_test_cell", "nbgrader_meta", "notebook_record", "split_hidden", "strip_solution",
           "written"]

GRADING_KEY = "course_grading"
# the keys under GRADING_KEY (see the table above)
SANDBOX, JUDGE, FAULTS, REPLACED = "sandbox", "judge", "faults", "replaced"
MISCONCEPTIONS = "misconceptions"
JUDGE_SECONDS, FEEDBACK = "judge_seconds", "feedback"


def notebook_record(nb) -> dict:
    """The grader's record on a notebook (made if missing)."""
    return nb.metadata.setdefault(GRADING_KEY, {})


def cell_record(cell) -> dict:
    """The grader's record on a cell (made if missing)."""
    return cell.metadata.setdefault(GRADING_KEY, {})


def faults(nb) -> list[str]:
    """The faults the grader recorded on a graded notebook."""
    return list(nb.metadata.get(GRADING_KEY, {}).get(FAULTS, []))


def forget_records(nb) -> None:
    """Drop the grader's records from a submission: only the grader writes them."""
    nb.metadata.pop(GRADING_KEY, None)
    for cell in nb.cells:
        if isinstance(cell.get("metadata"), dict):
            cell.metadata.pop(GRADING_KEY, None)


_SOLUTION_BLOCK = re.compile(
    r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*\n?", re.S | re.M)



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


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def strip_solution(source: str) -> str:
    """The code a student would write: the solution region without its markers."""
    return _SOLUTION_BLOCK.sub(lambda m: m.group(1), source)


def exercises(nb) -> dict[str, dict]:
    """Map each graded function to its solution cell, test cells and points.

    Returns ``{function: {"solution": grade_id, "tests": [grade_id, ...], "points": float}}``,
    in notebook order.  Raises ``ValueError`` for a test cell that belongs to no function.

    A solution cell marked ``"course": {"pasted_from": "<assignment>"}`` in its metadata is
    not an exercise: the student pastes there their own answer to another assignment (06's
    ``softmax`` from 05), which is graded there, not here.
    """
    out: dict[str, dict] = {}
    for cell in nb.cells:
        m = nbgrader_meta(cell)
        if cell.get("metadata", {}).get("course", {}).get("pasted_from"):
            continue
        if m.get("solution") and cell.cell_type == "code" and not m.get("grade"):
            out[m["grade_id"]] = {"solution": m["grade_id"], "tests": [], "points": 0.0}
    for cell in nb.cells:
        m = nbgrader_meta(cell)
        if m.get("grade") and not m.get("solution"):
            fn = exercise_of(m["grade_id"], out)
            if fn is None:
                raise ValueError(f"test cell {m['grade_id']!r} does not start with the name of "
                                 f"a graded function ({', '.join(out)})")
            out[fn]["tests"].append(m["grade_id"])
            out[fn]["points"] += float(m.get("points", 0))
    return out


def written(nb) -> dict[str, dict]:
    """The written questions of a notebook: its markdown answer cells graded by a person.

    Returns ``{grade_id: {"points": float, "answer": str, "question": str}}`` in notebook
    order; ``answer`` is the cell's text (in ``source/``, the model answer; in ``release/``,
    nbgrader's stub) and ``question`` the title of the question cell just before it (its
    first line, without ``#`` and the "(written, N points)" tag).
    """
    out = {}
    for before, cell in zip([None, *nb.cells], nb.cells):
        m = nbgrader_meta(cell)
        if cell.cell_type == "markdown" and m.get("solution") and m.get("grade"):
            title = (before.source.strip().splitlines() or [""])[0] if before else ""
            title = re.sub(r"\s*\(written, [^)]*\)\s*$", "", title.lstrip("# "))
            title = title.removeprefix("Question:").strip()
            out[m["grade_id"]] = {"points": float(m.get("points", 0)), "answer": cell.source,
                                  "question": title}
    return out


def exercise_of(grade_id: str, functions) -> str | None:
    """The function a test cell belongs to: the longest ``f`` with ``grade_id`` = ``f_...``."""
    matches = [f for f in functions if grade_id.startswith(f + "_")]
    return max(matches, key=len) if matches else None



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


