"""Grades for the learning-management system: ``python -m course.grader export``.

Writes the gradebook's grades of one or more assignments in the CSV shape an LMS imports:

* ``canvas``: Canvas's gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section``,
  one column per assignment, and a ``Points Possible`` row under the header. The student's
  nbgrader id goes in ``SIS Login ID`` (a JupyterHub usually logs students in with their LMS
  login); ``ID`` (Canvas's own number) is left empty. A column is named after the nbgrader
  assignment: Canvas creates the assignment at the first import; to fill an assignment
  Canvas already has, name the column as Canvas exports it (``Name (id)``) once;
* ``moodle``: Moodle's grade import (``Grades > Import > CSV file``): ``Username`` and
  ``Email address`` (map either to Moodle's user field), then one column per grade item;
* ``csv``: plain, for anything else: the student's id, names and email, then per assignment
  its score, its late penalty and its status.

``--exercises`` adds a column per exercise after each assignment's: the points of the
graded function's test cells (:func:`course.grader.cells.exercises`), as the autograder gave
them, before any late penalty (a penalty is nbgrader's, on the whole notebook).

**No grade that was not earned.** A student without a submission gets an empty cell, never a
0. A submission whose grading failed, or never ran (no autograder score,
:func:`course.grader.gradebook.autograded`), gets empty cells too, and is listed apart: on
stderr and, with ``-o FILE``, in ``FILE``'s sibling ``<stem>.not-graded.csv``. A submission
graded but with written answers still waiting for a person is exported with nbgrader's sum
(the waiting answers count 0) and listed on stderr as such, as the course's
``nbgrader export`` marks it.

**Late submissions.** nbgrader's late policy is its ``LateSubmissionPlugin`` (or the class
``AssignLatePenalties.plugin_class`` of ``nbgrader_config.py`` names), which ``nbgrader
autograde`` runs once, when it grades: it stores each notebook's ``late_submission_penalty``,
computed from how late the submission's timestamp is past the assignment's due date plus the
student's ``extension``. An extension granted, or a grade changed by hand, after grading
would not change it. So the export applies the policy itself, just before it writes: it sets
the extensions of the ``--extensions`` file in the gradebook, then computes every graded
submission's penalty again with the configured plug-in, exactly as nbgrader's
``AssignLatePenalties`` does (a negative penalty is 0, one above the score is the score), and
stores it in the gradebook, so that the formgrader and ``nbgrader export`` agree with the
file. The exported score is the score minus the penalty, never below 0.

**The extensions file** is a CSV with a header row::

    student_id,extension,assignment
    alice,48,01-linearity-xor
    bob,P2DT12H,
    carol,0,02-feature-maps

``extension`` is a number of hours or an ISO 8601 duration of weeks, days, hours, minutes and
seconds (``P1W``, ``P2DT12H``, ``PT90M``; years and months have no fixed length and are
refused). An empty or missing ``assignment`` grants it on every exported assignment. An
extension replaces the one the gradebook held (nbgrader's extensions do not add up); ``0``
removes it. Students the file does not name keep theirs.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from course.grader import submissions
from course.grader.cells import exercises as cell_exercises
from course.grader.coursedir import Course
from course.grader.gradebook import autograded, is_written, to_grade

__all__ = ["FORMATS", "ExportError", "Gradesheet", "apply_late_policy", "export",
           "not_graded_csv", "parse_duration", "read_extensions", "read_gradesheet", "render"]

FORMATS = ("canvas", "moodle", "csv")
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_FIXED = ["Username", "Email address"]
CSV_FIXED = ["student_id", "last_name", "first_name", "email"]
_LOG = logging.getLogger("course.grader.export")


class ExportError(ValueError):
    """The export cannot be made: an unknown assignment or student, a bad extensions file."""


# ------------------------------------------------------------------------------------------
# extensions


_ISO = re.compile(r"P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
                  r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
                  r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?")


def parse_duration(text: str) -> datetime.timedelta:
    """A number of hours (``48``, ``1.5``) or an ISO 8601 duration (``P2DT12H``) as a
    timedelta. Raises :class:`ValueError` saying what is expected."""
    text = text.strip()
    try:
        hours = float(text)
    except ValueError:
        pass
    else:
        if hours < 0 or hours != hours:
            raise ValueError(f"{text!r} is not a duration: hours cannot be negative")
        return datetime.timedelta(hours=hours)
    match = _ISO.fullmatch(text.upper())
    if not match or text.upper().rstrip("T") in ("P", "") or text.upper().endswith("T"):
        raise ValueError(f"{text!r} is not a duration: expected hours (48) or an ISO 8601 "
                         f"duration of weeks, days, hours, minutes, seconds (P2DT12H, PT90M)")
    return datetime.timedelta(**{k: float(v) for k, v in match.groupdict().items() if v})


def read_extensions(path: Path) -> list[tuple[str, datetime.timedelta, str | None]]:
    """``[(student, extension, assignment or None)]`` from an extensions file (see the
    module's docstring). Raises :class:`ExportError` naming the line at fault."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ExportError(f"cannot read the extensions file {path}: {exc}") from None
    rows = csv.DictReader(io.StringIO(text))
    missing = {"student_id", "extension"} - set(rows.fieldnames or [])
    if missing:
        raise ExportError(f"{path}: the first line must be the header 'student_id,extension' "
                          f"(and optionally ',assignment'); it has no {', '.join(sorted(missing))}")
    out = []
    for line, row in enumerate(rows, start=2):
        student = (row.get("student_id") or "").strip()
        if not student:
            raise ExportError(f"{path}, line {line}: no student_id")
        try:
            extension = parse_duration(row.get("extension") or "")
        except ValueError as exc:
            raise ExportError(f"{path}, line {line} ({student}): {exc}") from None
        out.append((student, extension, (row.get("assignment") or "").strip() or None))
    return out


def _set_extensions(gb, extensions, assignments: list[str]) -> None:
    """Give each listed student its extension on the named (or every exported) assignment,
    the way nbgrader's ``Gradebook.grant_extension`` does; 0 removes one."""
    from nbgrader.api import MissingEntry

    students = {s.id for s in gb.students}
    for student, extension, assignment in extensions:
        if student not in students:
            raise ExportError(f"the extensions file names {student!r}, who is not in the "
                              f"gradebook (nbgrader db student list)")
        if assignment is not None and assignment not in assignments:
            continue  # an extension of an assignment not exported now
        for a in [assignment] if assignment else assignments:
            try:
                submission = gb.find_submission(a, student)
            except MissingEntry:
                continue  # nothing submitted: nothing late
            submission.extension = extension if extension.total_seconds() > 0 else None
    gb.db.commit()


# ------------------------------------------------------------------------------------------
# the late policy


def _late_plugin(course: Course):
    """The late-penalty plug-in ``nbgrader autograde`` uses with this course's config."""
    from nbgrader.plugins import LateSubmissionPlugin
    from traitlets.utils.importstring import import_item

    config = course.config
    cls = config.get("AssignLatePenalties", {}).get("plugin_class", LateSubmissionPlugin)
    if isinstance(cls, str):
        cls = import_item(cls)
    return cls(config=config, log=_LOG)


def apply_late_policy(course: Course, assignments: list[str], extensions=()) -> None:
    """Set ``extensions`` in the gradebook, then compute the late penalty of every autograded
    submission of ``assignments`` with the configured plug-in and store it, as nbgrader's
    ``AssignLatePenalties`` does at grading (see the module's docstring)."""
    plugin = _late_plugin(course)
    with course.gradebook() as gb:
        _set_extensions(gb, extensions, assignments)
        for a in assignments:
            for submission in gb.assignment_submissions(a):
                if not autograded(submission):
                    continue
                late = submission.total_seconds_late
                for notebook in submission.notebooks:
                    penalty = None
                    if late > 0:
                        penalty = plugin.late_submission_penalty(
                            submission.student_id, notebook.score, late)
                    if penalty is not None:
                        penalty = min(max(0.0, float(penalty)), float(notebook.score))
                    notebook.late_submission_penalty = penalty
        gb.db.commit()


# ------------------------------------------------------------------------------------------
# the grades


@dataclass
class Entry:
    """One student's grade on one assignment."""

    status: str  # graded, written answers to grade, not graded, no submission
    score: float | None = None  # after the late penalty
    penalty: float | None = None
    exercises: dict[str, float] = field(default_factory=dict)


@dataclass
class Gradesheet:
    """Students by assignments, as the gradebook has them after the late policy."""

    assignments: list[str]
    max_score: dict[str, float]
    exercises: dict[str, list[tuple[str, float]]]  # assignment -> [(exercise, points)]
    students: list[tuple[str, str, str, str]]  # (id, last name, first name, email)
    entries: dict[tuple[str, str], Entry]  # (student, assignment) -> Entry

    def listed(self, status: str) -> list[tuple[str, str]]:
        """``[(student, assignment)]`` of the entries with this status."""
        return sorted(k for k, e in self.entries.items() if e.status == status)


def _entry(submission, layout: dict[str, dict]) -> Entry:
    if not autograded(submission):
        return Entry("not graded")
    penalty = float(submission.late_submission_penalty or 0.0)
    points = {g.name: float(g.score) for nb in submission.notebooks for g in nb.grades
              if not is_written(g)}
    exercises = {name: sum(points.get(t, 0.0) for t in ex["tests"])
                 for name, ex in layout.items()}
    return Entry("written answers to grade" if to_grade(submission) else "graded",
                 max(0.0, float(submission.score) - penalty), penalty, exercises)


def _layout(course: Course, assignment: str) -> dict[str, dict]:
    path = course.notebook("source", assignment)
    try:
        return cell_exercises(submissions.read(path))
    except (OSError, ValueError) as exc:
        raise ExportError(f"--exercises needs the source notebook {path}: {exc}") from None


def _check_assignments(course: Course, assignments: list[str]) -> None:
    with course.gradebook() as gb:
        known = [a.name for a in gb.assignments]
    unknown = [a for a in assignments if a not in known]
    if unknown:
        raise ExportError(f"the gradebook has no assignment {unknown[0]!r} (it has: "
                          f"{', '.join(known) or 'none'})")


def read_gradesheet(course: Course, assignments: list[str], exercises: bool = False
                    ) -> Gradesheet:
    """Every student of the gradebook by ``assignments``. Raises :class:`ExportError` for an
    assignment the gradebook does not have."""
    from nbgrader.api import MissingEntry

    layouts = {a: _layout(course, a) if exercises else {} for a in assignments}
    entries: dict[tuple[str, str], Entry] = {}
    max_score = {}
    with course.gradebook() as gb:
        for a in assignments:
            try:
                max_score[a] = float(gb.find_assignment(a).max_score)
            except MissingEntry:
                raise ExportError(f"the gradebook has no assignment {a!r}") from None
            submitted = {s.student_id: s for s in gb.assignment_submissions(a)}
            for student in gb.students:
                sub = submitted.get(student.id)
                entries[student.id, a] = (_entry(sub, layouts[a]) if sub is not None
                                          else Entry("no submission"))
        students = sorted((s.id, s.last_name or "", s.first_name or "", s.email or "")
                          for s in gb.students)
    layout = {a: [(name, float(ex["points"])) for name, ex in layouts[a].items()]
              for a in assignments}
    return Gradesheet(list(assignments), max_score, layout, students, entries)


# ------------------------------------------------------------------------------------------
# the files


def _num(value: float | None) -> str:
    return "" if value is None else f"{round(value, 6):g}"


def _grade_columns(sheet: Gradesheet, student: str | None) -> list[str]:
    """Each assignment's score, then its exercises' points: the header (no student), or one
    student's cells, empty where there is no grade."""
    out = []
    for a in sheet.assignments:
        entry = sheet.entries.get((student, a)) if student else None
        out.append(a if student is None else _num(entry.score))
        for name, _points in sheet.exercises[a]:
            out.append(f"{a}: {name}" if student is None else _num(entry.exercises.get(name)))
    return out


def _possible(sheet: Gradesheet) -> list[str]:
    out = []
    for a in sheet.assignments:
        out.append(_num(sheet.max_score[a]))
        out += [_num(points) for _, points in sheet.exercises[a]]
    return out


def render(sheet: Gradesheet, fmt: str) -> str:
    """The CSV text of ``sheet`` in ``fmt`` (one of :data:`FORMATS`)."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    if fmt == "canvas":
        out.writerow(CANVAS_FIXED + _grade_columns(sheet, None))
        out.writerow(["Points Possible", "", "", "", "", *_possible(sheet)])
        for sid, last, first, _email in sheet.students:
            name = f"{last}, {first}" if last and first else (last or first or sid)
            out.writerow([name, "", "", sid, "", *_grade_columns(sheet, sid)])
    elif fmt == "moodle":
        out.writerow(MOODLE_FIXED + _grade_columns(sheet, None))
        for sid, _last, _first, email in sheet.students:
            out.writerow([sid, email, *_grade_columns(sheet, sid)])
    elif fmt == "csv":
        head = list(CSV_FIXED)
        for a in sheet.assignments:
            head += [a, *(f"{a}: {n}" for n, _ in sheet.exercises[a]), f"{a} late penalty",
                     f"{a} status"]
        out.writerow(head)
        for sid, last, first, email in sheet.students:
            row = [sid, last, first, email]
            for a in sheet.assignments:
                entry = sheet.entries[sid, a]
                row += [_num(entry.score),
                        *(_num(entry.exercises.get(n)) for n, _ in sheet.exercises[a]),
                        _num(entry.penalty), entry.status]
            out.writerow(row)
    else:
        raise ExportError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return buffer.getvalue()


def export(root: Path, assignments: list[str], fmt: str, *, exercises: bool = False,
           extensions: Path | None = None, db_url: str | None = None) -> tuple[str, Gradesheet]:
    """Apply the late policy (with the ``extensions`` file, if any) in the gradebook of the
    course at ``root``, and return the file's text in ``fmt`` with the gradesheet it shows.
    Raises :class:`ExportError` when the export cannot be made."""
    course = Course.at(root, db_url)
    if not (course.root / "nbgrader_config.py").is_file():
        raise ExportError(f"no nbgrader_config.py in {course.root}: pass --root the course "
                          "folder")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    granted = read_extensions(extensions) if extensions else []
    _check_assignments(course, assignments)  # before the gradebook is changed
    apply_late_policy(course, assignments, granted)
    sheet = read_gradesheet(course, assignments, exercises)
    return render(sheet, fmt), sheet


def not_graded_csv(sheet: Gradesheet) -> str:
    """The submissions without an autograder score, as a CSV: ``student_id,assignment``."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["student_id", "assignment", "status"])
    for student, a in sheet.listed("not graded"):
        out.writerow([student, a, "not graded: no autograder score (grading failed or never "
                                  "ran); regrade it, the file leaves its cells empty"])
    return buffer.getvalue()
