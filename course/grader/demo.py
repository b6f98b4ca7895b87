"""The instructor's whole workflow on sample submissions: ``python -m course.grader demo``.

1. ``nbgrader generate_assignment`` builds ``release/`` from ``source/``;
2. sample submissions go to ``submitted/<student>/<assignment>/``: the
   reference solution, a student who makes the assignment's demo mistakes,
   and the untouched release;
3. ``nbgrader autograde`` grades them into the course's gradebook: ``reference`` and
   ``blank`` first, as the canary's witnesses (full marks and zero, or the demo stops, see
   :mod:`course.grader.canary`), then the others;
4. the demo's instructor grades the written answers: an answer identical to the model
   answer of ``source/`` gets full marks, as a grader would give in nbgrader's formgrader
   (the same gradebook call its grading API makes); any other answer waits for a person;
5. ``nbgrader generate_feedback`` writes HTML feedback to ``feedback/``;
6. the class report of each assignment goes to ``reports/<assignment>/index.html`` (with its
   section of similar solutions, :mod:`course.grader.similarity`);
7. ``nbgrader export`` writes the grades to CSV, and :mod:`course.grader.export` writes
   them again for Canvas's gradebook import (``grades-canvas.csv``);
8. a table of students by assignment is printed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from course.grader import steps, submissions
from course.grader.canary import verdict
from course.grader.cells import written
from course.grader.coursedir import Course, notebook_path
from course.grader.errors import CanaryFailed, StepFailed
from course.grader.gradebook import read_scores, to_grade

STUDENTS = ("reference", "typical-mistakes", "blank")
LMS_FILE = "grades-canvas.csv"


def make_submissions(root: Path, assignment: str) -> None:
    """Write the demo's three sample submissions of ``assignment`` (see ``STUDENTS``)."""
    release = submissions.read(notebook_path(root / "release", assignment))
    reference = submissions.reference_for(root, assignment)
    mistakes, demo = submissions.load_mistakes(root / "source" / assignment)
    flawed = reference
    for mistake in mistakes:
        if mistake.name in demo:
            flawed = submissions.apply_mistake(flawed, mistake)
    submissions.submit(root, assignment, dict(zip(STUDENTS, (reference, flawed, release),
                                                  strict=True)))


def autograde_with_canary(root: Path, assignment: str, log: Path) -> dict[str, dict]:
    """Autograde the demo's witnesses (``reference`` and ``blank``) first and check them
    (:func:`course.grader.canary.verdict`), then the other students; return the scores.

    Raises :class:`course.grader.errors.CanaryFailed` before anyone else is graded if the reference
    did not score full marks or the blank did not score zero."""
    witnesses = ("reference", "blank")
    others = [s for s in STUDENTS if s not in witnesses]
    try:
        steps.nbgrader(["autograde", assignment, "--force",
                          f"--CourseDirectory.student_id_exclude={','.join(others)}"],
                         root, log=log)
    except StepFailed as exc:
        raise CanaryFailed(f"the canary's grading run failed, so no one else was graded: "
                           f"{exc}") from exc
    problem = verdict(read_scores(root, assignment), *witnesses)
    if problem:
        raise CanaryFailed(problem)
    for student in others:
        steps.nbgrader(["autograde", assignment, "--force", f"--student={student}"], root,
                         log=log)
    return read_scores(root, assignment)


def grade_model_answers(root: Path, assignment: str) -> dict[str, list[str]]:
    """Give full marks to every written answer of ``assignment`` that is, word for word, the
    model answer of ``source/``; leave the others to a person. Returns, per student, the
    written answers still to grade.

    A grade is set as nbgrader's formgrader sets one (``manual_score`` on the gradebook's
    grade, which then needs no more manual grading), so the formgrader shows it as graded by
    hand. The text compared is the student's autograded notebook's."""
    model = {gid: w["answer"].strip() for gid, w in written(
        submissions.read(notebook_path(root / "source", assignment))).items()}
    waiting: dict[str, list[str]] = {}
    with Course.at(root).gradebook() as gb:
        for sub in gb.assignment_submissions(assignment):
            pending = to_grade(sub)
            if not pending:
                continue
            path = notebook_path(root / "autograded" / sub.student_id, assignment)
            answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source.strip()
                       for c in submissions.read(path).cells} if path.is_file() else {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.name in pending and answers.get(grade.name) == model.get(grade.name):
                        grade.manual_score = grade.max_score
                        grade.needs_manual_grade = False
            gb.db.commit()
            waiting[sub.student_id] = to_grade(sub)
    return {s: w for s, w in waiting.items() if w}


def format_table(scores: dict[str, dict[str, dict]], asgs: list[str]) -> str:
    """Students by assignment, ``score / max`` in each cell, and a total column; ``*`` marks
    a score with written answers still to grade (counted 0 until they are)."""
    students = [s for s in STUDENTS if any(s in scores[a] for a in asgs)]
    students += sorted({s for a in asgs for s in scores[a]} - set(students))
    width = max([len("student")] + [len(s) for s in students]) + 2
    cols = [max(len(a), 13) + 2 for a in asgs]
    head = "student".ljust(width) + "".join(a.rjust(c) for a, c in zip(asgs, cols))
    lines = [head + "total".rjust(15), "-" * (len(head) + 15)]
    for s in students:
        row, got, out_of = s.ljust(width), 0.0, 0.0
        for a, c in zip(asgs, cols):
            entry = scores[a].get(s)
            if entry is None:
                row += "-".rjust(c)
                continue
            out_of += entry["max_score"]
            if not entry.get("graded", True):
                row += "not graded".rjust(c)
                continue
            got += entry["score"]
            mark = "*" if entry.get("to_grade") else ""
            row += f"{mark}{entry['score']:g} / {entry['max_score']:g}".rjust(c)
        lines.append(row + f"{got:g} / {out_of:g}".rjust(15))
    return "\n".join(lines)


def run(root: Path, only: list[str] | None = None) -> int:
    from tqdm import tqdm

    root = Path(root).resolve()
    asgs = _assignments(root, only)
    if isinstance(asgs, str):
        print(f"error: {asgs}", file=sys.stderr)
        return 2
    log = root / "autograded" / "demo.log"
    log.unlink(missing_ok=True)
    csv = root / "grades.csv"
    plan = [(name, a) for a in asgs
            for name in ("generate", "submit", "autograde", "feedback", "report")]
    plan += [("export", None), ("lms", asgs)]
    started = time.perf_counter()
    scores: dict[str, dict] = {}
    bar = tqdm(plan, unit="step", file=sys.stderr, dynamic_ncols=True)
    try:
        for step, a in bar:
            bar.set_description(f"{step} {a if isinstance(a, str) else ''}".strip())
            _do(step, root, a, log, csv, scores)
    except (StepFailed, CanaryFailed, ValueError, OSError) as exc:  # ReportError, ExportError too
        bar.close()
        _explain(exc, step, a, log)
        return 1
    bar.close()
    _summary(root, scores, asgs, csv, log, time.perf_counter() - started)
    return 0


def _assignments(root: Path, only: list[str] | None) -> list[str] | str:
    """The assignments to run, or what is wrong with the request."""
    if not (root / "nbgrader_config.py").is_file():
        return f"{root} is not a course folder (no nbgrader_config.py)"
    asgs = Course.at(root).assignments
    unknown = sorted(set(only or []) - set(asgs))
    if unknown:
        return f"no such assignment in source/: {', '.join(unknown)}"
    return [a for a in asgs if a in only] if only else asgs


def _do(step: str, root: Path, a, log: Path, csv: Path, scores: dict) -> None:
    """One step of the demo's workflow (see the module's docstring)."""
    if step == "generate":
        steps.nbgrader(["generate_assignment", a, "--force"], root, log=log)
    elif step == "submit":
        make_submissions(root, a)
    elif step == "autograde":
        autograde_with_canary(root, a, log)
        grade_model_answers(root, a)
        scores[a] = read_scores(root, a)
    elif step == "feedback":
        steps.nbgrader(["generate_feedback", a, "--force"], root, log=log)
    elif step == "report":
        from course.grader.report import write_report

        write_report(root, a)
    elif step == "lms":
        from course.grader.export import export

        text, _sheet = export(root, a, "canvas")
        (root / LMS_FILE).write_text(text, encoding="utf-8")
    else:
        steps.nbgrader(["export", f"--to={csv}"], root, log=log)


def _explain(exc: Exception, step: str, a: str | None, log: Path) -> None:
    print(f"\ndemo failed at step '{step}{' ' + a if isinstance(a, str) else ''}':\n{exc}\n"
          f"full log: {log}", file=sys.stderr)
    if "there are submissions associated with it" in str(exc):
        print(f"\nwhy: the gradebook holds submissions of an earlier version of {a}, and "
              f"nbgrader does not change an assignment's cells once it has submissions. "
              f"In this demo course, start over: remove gradebook.db, submitted/ and "
              f"autograded/ (never in a course with real students), restore the release "
              f"nbgrader removed with `git checkout release/`, and run the demo again.",
              file=sys.stderr)


def _summary(root: Path, scores: dict, asgs: list[str], csv: Path, log: Path,
             seconds: float) -> None:
    print()
    print(format_table(scores, asgs))
    print()
    waiting = sum(len(e.get("to_grade", [])) for a in asgs for e in scores[a].values())
    if waiting:
        print(f"* {waiting} written answers wait for a grader: `nbgrader formgrader`, or "
              f"`python -m course.grader report ASSIGNMENT` lists them\n")
    print(f"grades CSV:  {csv}")
    print(f"for Canvas:  {root / LMS_FILE}  (python -m course.grader export --help)")
    print(f"reports:     {root / 'reports'}/<assignment>/index.html (with similar solutions)")
    print(f"feedback:    {root / 'feedback'}/<student>/<assignment>/<assignment>.html")
    for a in asgs:
        print(f"             e.g. {root / 'feedback' / 'reference' / a / (a + '.html')}")
    print(f"nbgrader log: {log}")
    print(f"done in {seconds:.0f} s")
