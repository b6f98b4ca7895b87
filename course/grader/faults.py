"""Submissions that cannot be graded as they are: repaired, or graded as empty, with a reason.

nbgrader stops on a notebook file it cannot read (not JSON, empty, too new a
format) or cannot process (a graded cell copied so that two cells share a grade
id, nbgrader metadata edited by hand): that student gets no autograded notebook
and no reason, and the run exits non-zero for everyone.  The course's
``nbgrader_config.py`` makes :class:`GradingExporter` nbgrader's exporter for
``autograde``; it

* repairs what can be repaired without guessing at the student's intent:
  duplicated cell ids, a grade id used by two cells (the later copy is graded, as
  nbgrader's own ``DeduplicateIds`` would choose), nbgrader metadata without a
  grade id, an edited metadata schema version;
* grades anything else as an empty notebook: the instructor's test cells are put
  back and fail, so the submission gets a grade row with zero for what could not
  run, and a reason, written at the top of the autograded notebook, in its
  metadata (``course_grading.faults``) and in nbgrader's log.

Infrastructure errors (the gradebook, a missing sandbox) still stop the run.
"""

from __future__ import annotations

import os
import uuid

import nbformat
from nbconvert.exporters import NotebookExporter
from nbformat import NotebookNode
from traitlets import Integer

from course.grader.cells import (
    FAULTS,
    GRADING_KEY,
    REPLACED,
    forget_records,
    instructor_cells,
    notebook_record,
)

__all__ = ["GradingExporter", "fault_notebook", "repair"]

SCHEMA_VERSION = 3  # nbgrader's cell metadata schema


def fault_notebook(reason: str) -> NotebookNode:
    """An empty submission that says why it replaced the student's notebook."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "**The grader could not use this submission as it was submitted.**\n\n"
        f"Reason: {reason}\n\nIt was graded as an empty notebook: every test was run and "
        "failed, so each exercise scores 0. Ask your instructor if you think this is wrong."))
    notebook_record(nb)[FAULTS] = [reason]
    return nb


def repair(nb: NotebookNode, known_ids: set[str] | None = None) -> list[str]:
    """Fix in place what stops nbgrader but says nothing about the answers; return notes.

    ``known_ids`` are the assignment's grade ids: a cell claiming another one is a cell
    the student marked as graded, and becomes an ordinary cell."""
    notes: list[str] = []
    _fix_cell_ids(nb, notes)
    last_with: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        grade_id = _fix_nbgrader_meta(i, cell, known_ids, notes)
        if grade_id is not None:
            last_with[grade_id] = i
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str) \
                and meta["grade_id"] in last_with and last_with[meta["grade_id"]] != i:
            notes.append(f"the cell {meta['grade_id']!r} appears more than once; the last copy "
                         f"was graded and cell {i} was treated as an ordinary cell")
            del cell.metadata["nbgrader"]
    return notes


def _fix_cell_ids(nb: NotebookNode, notes: list[str]) -> None:
    """Give every cell an id of its own (a missing or repeated one gets a new id)."""
    seen_ids: set[str] = set()
    for cell in nb.cells:
        cid = cell.get("id")
        if not isinstance(cid, str) or not cid or cid in seen_ids:
            cell["id"] = uuid.uuid4().hex[:12]
            if isinstance(cid, str) and cid:
                notes.append(f"two cells had the id {cid!r}; one got a new id")
        seen_ids.add(cell["id"])


def _fix_nbgrader_meta(i: int, cell, known_ids: set[str] | None, notes: list[str]):
    """Remove or reset nbgrader metadata nbgrader cannot process; return the cell's grade id
    if it is (still) a graded cell, else None."""
    meta = cell.get("metadata", {}).get("nbgrader")
    if meta is None:
        return None
    problem = _meta_problem(meta, known_ids)
    if problem:
        del cell.metadata["nbgrader"]
        notes.append(f"cell {i} {problem}")
        return None
    if "schema_version" in meta and meta["schema_version"] != SCHEMA_VERSION:
        meta["schema_version"] = SCHEMA_VERSION
        notes.append(f"cell {i} had an edited nbgrader schema version; it was reset")
    graded = meta.get("grade") or meta.get("solution") or meta.get("locked") or meta.get("task")
    return meta["grade_id"] if graded else None


def _meta_problem(meta, known_ids: set[str] | None) -> str | None:
    """Why a cell's nbgrader metadata must go, or None."""
    if not isinstance(meta, dict):
        return "had malformed nbgrader metadata; it was removed"
    graded = meta.get("grade") or meta.get("solution") or meta.get("locked") or meta.get("task")
    if graded and not isinstance(meta.get("grade_id"), str):
        return "had nbgrader metadata without a grade id; it was removed"
    if known_ids is not None and isinstance(meta.get("grade_id"), str) \
            and meta["grade_id"] not in known_ids:
        return (f"claimed to be the graded cell {meta['grade_id']!r}, which the assignment "
                "does not have; it was treated as an ordinary cell")
    return None


class GradingExporter(NotebookExporter):
    """nbgrader's notebook exporter, tolerant of submissions it cannot read or process."""

    max_notebook_bytes = Integer(50 * 1024**2, config=True,
                                 help="largest submitted notebook file that is read")

    def from_file(self, file_stream, resources=None, **kw):
        if self._executes():  # nbgrader's second pass reads the notebook its first pass wrote
            return super().from_file(file_stream, resources=resources, **kw)
        name = getattr(file_stream, "name", "the notebook")
        try:
            size = os.fstat(file_stream.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            size = None
        try:
            if size == 0:
                raise ValueError("the notebook file is empty (0 bytes)")
            if size is not None and size > self.max_notebook_bytes:
                raise ValueError(f"the notebook file is {size / 1024**2:.1f} MiB; the limit is "
                                 f"{self.max_notebook_bytes / 1024**2:.0f} MiB")
            nb = nbformat.read(file_stream, as_version=4)
            if not isinstance(nb.get("cells"), list):
                raise ValueError("the file has no list of cells")
            forget_records(nb)
            notes = repair(nb, self._known_ids(resources))
        except Exception as exc:  # noqa: BLE001 - any unreadable file is that student's fault
            reason = f"the notebook file could not be read: {_short(exc)}"
            self.log.error("%s: %s", name, reason)
            nb, notes = self._fault_notebook(reason, resources), []
        else:
            for note in notes:
                self.log.warning("%s: %s", name, note)
        if notes:
            notebook_record(nb)[FAULTS] = notes
        return self.from_notebook_node(nb, resources=resources, **kw)

    def from_notebook_node(self, nb, resources=None, **kw):
        if self._executes():
            return super().from_notebook_node(nb, resources=resources, **kw)
        try:  # nbgrader's sanitizing pass: a failure here is the submission's
            return super().from_notebook_node(nb, resources=resources, **kw)
        except Exception as exc:  # noqa: BLE001
            if _infrastructure(exc) or nb.metadata.get(GRADING_KEY, {}).get(REPLACED):
                raise
            reason = f"nbgrader could not process the notebook: {_short(exc)}"
            self.log.error("%s", reason)
            replacement = self._fault_notebook(reason, resources)
            notebook_record(replacement)[REPLACED] = True
            return super().from_notebook_node(replacement, resources=resources, **kw)

    def _known_ids(self, resources) -> set[str] | None:
        cells = instructor_cells(self.config, resources)
        return None if cells is None else set(cells)

    def _fault_notebook(self, reason: str, resources) -> NotebookNode:
        """The released (blank) notebook, with the reason on top; an empty one without it.

        nbgrader puts missing test cells back only next to the solution cells they follow,
        so the blank release, which has every cell, is the safe stand-in."""
        nb = fault_notebook(reason)
        info = (resources or {}).get("nbgrader") or {}
        coursedir = getattr(self.parent, "coursedir", None)
        if coursedir is None or not info.get("assignment"):
            return nb
        path = os.path.join(coursedir.format_path(coursedir.release_directory, ".",
                                                  info["assignment"]),
                            f"{info['notebook']}.ipynb")
        try:
            release = nbformat.read(path, as_version=4)
        except (OSError, ValueError) as exc:
            self.log.warning("no released notebook to stand in for the submission: %s", exc)
            return nb
        release.cells.insert(0, nb.cells[0])
        release.metadata[GRADING_KEY] = nb.metadata[GRADING_KEY]
        return release

    def _executes(self) -> bool:
        from course.grader.preprocessors.execute import SandboxedExecute

        return any(isinstance(p, SandboxedExecute) for p in self._preprocessors)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


def _infrastructure(exc: BaseException) -> bool:
    """Errors of the grader's own machinery, which must stop the run."""
    try:
        import sqlalchemy.exc

        if isinstance(exc, sqlalchemy.exc.SQLAlchemyError):
            return True
    except ImportError:
        pass
    return isinstance(exc, (OSError, MemoryError))
