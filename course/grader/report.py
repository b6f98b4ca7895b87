"""``python -m course report ASSIGNMENT``: a static grade report an instructor reads at a glance.

The page answers "which exercise did the class get wrong?": the score distribution, each
exercise's pass rate (an exercise passes when every one of its test cells has full marks),
the mean points earned on it, and the commonest reasons its tests failed.

Scores come from nbgrader's gradebook, so grades changed by hand in the formgrader count as
the instructor set them. Exercises come from the source notebook
(:func:`course.grader.cells.exercises`): test cells are grouped by the graded function they
start with. Failure reasons come from the autograded notebooks, which only exist where the
grading ran; without them the page simply has no reasons.

A submission whose code cells lack an autograder score was never autograded, or its grading
failed (a grader failure leaves no score, see :mod:`course.grader.errors`), or its
grading worker was killed before it committed: counting it as zero would pull every pass
rate down, so it is left out of the statistics and listed as not graded yet.

Written answers (markdown answer cells that a person grades in the formgrader) are no
exercise: the page lists apart, per question, the students whose answer still waits for a
grade; until then it counts 0 in their score, as in nbgrader's own sums.

Two sections close the page. One lists similar solutions (:mod:`course.grader.similarity`): pairs of
submissions in ``submitted/`` whose answers to one exercise are alike once names, numbers,
comments and layout are normalised, each with a side-by-side diff.

The other names the misconceptions: for each exercise, how many of the students who
failed it behave like each typical mistake of ``mistakes.py``, with an example student
(verdicts the grader stored while grading: :mod:`course.grader.misconceptions`).

Student ids, failure reasons and code are written by students: everything on the page is
escaped.
"""

from __future__ import annotations

import datetime
import html
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course import plots
from course.grader import similarity, submissions
from course.grader.cells import GRADING_KEY, MISCONCEPTIONS, written
from course.grader.cells import exercises as cell_exercises
from course.grader.coursedir import Course, notebook_path
from course.grader.gradebook import autograded, to_grade
from course.grader.steps import cell_failures

__all__ = [
    "ClassReport",
    "ExerciseStats",
    "ReportError",
    "StudentRow",
    "Misconception",
    "collect",
    "collect_misconceptions",
    "misconception_section",
    "pass_rate_chart",
    "render_html",
    "score_histogram",
    "write_report",
]

REASONS_SHOWN = 3
REASON_CHARS = 200
PASS_COLOR = plots.CLASS_COLORS[0]
WEAK_COLOR = plots.CLASS_COLORS[3]
_FULL_MARKS_TOL = 1e-9  # scores are floats in the database


class ReportError(ValueError):
    """The report cannot be made: no such assignment, no submission, no gradebook, ..."""


@dataclass
class ExerciseStats:
    """One graded function of the assignment, over the graded students."""

    name: str
    points: float
    tests: list[str]
    passed: int = 0
    graded: int = 0
    points_earned: float = 0.0  # summed over graded students
    reasons: list[tuple[str, int]] = field(default_factory=list)  # (first line, students)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.graded if self.graded else None

    @property
    def mean_points(self) -> float | None:
        return self.points_earned / self.graded if self.graded else None


@dataclass
class StudentRow:
    """One graded submission."""

    student: str
    score: float
    max_score: float
    failing: list[str]  # exercises not passed, in notebook order
    to_grade: list[str] = field(default_factory=list)  # written answers waiting for a person

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass
class ClassReport:
    """Everything the page shows, computed once from the gradebook and notebooks."""

    assignment: str
    written: datetime.datetime
    exercises: list[ExerciseStats]
    students: list[StudentRow]  # graded submissions, by student id
    not_graded: list[str]  # student ids
    # written question (grade_id) -> (points, title)
    questions: dict[str, tuple[float, str]] = field(default_factory=dict)
    # similar solutions among submitted/ (see the section "similar solutions" below)
    similarity: object | None = None
    # exercise -> the misconceptions of the students who failed it (see the section below)
    misconceptions: dict[str, list[Misconception]] = field(default_factory=dict)

    @property
    def waiting(self) -> dict[str, list[str]]:
        """Each written question -> the students whose answer to it still waits for a grade."""
        out: dict[str, list[str]] = {q: [] for q in self.questions}
        for row in self.students:
            for q in row.to_grade:
                out.setdefault(q, []).append(row.student)
        return {q: who for q, who in out.items() if who}

    @property
    def percents(self) -> list[float]:
        return [s.percent for s in self.students]

    @property
    def max_score(self) -> float:
        return max((s.max_score for s in self.students), default=0.0)

    @property
    def weakest(self) -> list[ExerciseStats]:
        """The exercises with the lowest pass rate (several on a tie; none before grading)."""
        rates = [e.pass_rate for e in self.exercises if e.pass_rate is not None]
        if not rates:
            return []
        low = min(rates)
        return [e for e in self.exercises
                if e.pass_rate is not None and e.pass_rate <= low + _FULL_MARKS_TOL]


# ------------------------------------------------------------------------------------------
# the numbers


def _check_gradebook(root: Path, url: str) -> None:
    # nbgrader's Gradebook creates an empty SQLite file where none is: a mistyped --root
    # would leave a stray gradebook.db behind and report "no such assignment"
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
        if not path.is_file():
            raise ReportError(f"no gradebook at {path}: is {root} the course folder? "
                              "(or pass --db-url)")


def _first_line(reason: str) -> str:
    """The headline of a failure: the rest is a traceback or a hint that repeats per case."""
    line = reason.strip().splitlines()[0].strip() if reason.strip() else "(no message)"
    line = line.removesuffix(":")  # "NotImplementedError: " has an empty message
    return line if len(line) <= REASON_CHARS else line[:REASON_CHARS - 1] + "\u2026"


def _failures(root: Path, student: str, assignment: str) -> dict[str, str]:
    """``{grade_id: reason}`` from the student's autograded notebook, or ``{}`` without one."""
    if student in ("", ".", "..") or "/" in student or "\\" in student:
        return {}  # an id that is no plain folder name cannot have an autograded folder
    path = notebook_path(Path(root) / "autograded" / student, assignment)
    if not path.is_file():
        return {}
    try:
        return cell_failures(path)
    except (OSError, ValueError):  # unreadable or not a notebook: no reasons, not no report
        return {}


def collect(root: Path, assignment: str, *, db_url: str | None = None) -> ClassReport:
    """Read the gradebook, the source notebook and the autograded notebooks into a report.

    Raises :class:`ReportError` when the gradebook has no such assignment or no submission
    of it, or when the source notebook and the gradebook disagree on the test cells.
    """
    root = Path(root)
    if not (root / "nbgrader_config.py").is_file():
        raise ReportError(f"no nbgrader_config.py in {root}: pass --root the course folder")
    course = Course.at(root, db_url)
    _check_gradebook(root, course.db_url)
    graded, not_graded = _read_gradebook(course, assignment)
    source_nb, layout = _read_source(course, assignment)
    exercises = [ExerciseStats(name, float(ex["points"]), list(ex["tests"]))
                 for name, ex in layout.items()]
    reason_counts: dict[str, Counter[str]] = {ex.name: Counter() for ex in exercises}
    students = []
    for student in sorted(graded):
        score, max_score, cells, waiting = graded[student]
        failing = _tally(exercises, cells, assignment, reason_counts,
                         lambda student=student: _failures(root, student, assignment))
        students.append(StudentRow(student, score, max_score, failing, waiting))
    for ex in exercises:
        ex.reasons = reason_counts[ex.name].most_common(REASONS_SHOWN)
    questions = {q: (w["points"], w["question"]) for q, w in written(source_nb).items()}
    return ClassReport(assignment, datetime.datetime.now().replace(microsecond=0), exercises,
                       students, sorted(not_graded), questions,
                       similarity=_similar_solutions(root, assignment),
                       misconceptions=collect_misconceptions(course, assignment, students))


def _read_gradebook(course: Course, assignment: str) -> tuple[dict, list[str]]:
    """``({student: (score, max, {cell: (score, max)}, written to grade)}, not graded)``."""
    from nbgrader.api import MissingEntry

    graded: dict[str, tuple[float, float, dict[str, tuple[float, float]], list[str]]] = {}
    not_graded: list[str] = []
    with course.gradebook() as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise ReportError(f"the gradebook has no assignment {assignment!r}") from None
        subs = gb.assignment_submissions(assignment)
        if not subs:
            raise ReportError(f"the gradebook has no submission of {assignment!r}")
        for sub in subs:
            if not autograded(sub):
                not_graded.append(sub.student_id)
                continue
            cells = {g.name: (float(g.score), float(g.max_score))
                     for nb in sub.notebooks for g in nb.grades}
            graded[sub.student_id] = (float(sub.score), float(sub.max_score), cells,
                                      to_grade(sub))
    return graded, not_graded


def _read_source(course: Course, assignment: str):
    """The source notebook and its exercises (:func:`course.grader.cells.exercises`)."""
    source = course.notebook("source", assignment)
    if not source.is_file():
        raise ReportError(f"no source notebook {source}: the exercises are read from it")
    try:
        source_nb = submissions.read(source)
        return source_nb, cell_exercises(source_nb)
    except ValueError as exc:  # a test cell named after no graded function
        raise ReportError(f"{source}: {exc}") from None


def _tally(exercises: list, cells: dict, assignment: str, reason_counts: dict,
           read_reasons) -> list[str]:
    """Count one student's results into ``exercises`` and ``reason_counts``; return the
    exercises it failed. ``read_reasons()`` reads its failure reasons, once, if needed."""
    reasons = None  # read the notebook only for a student who failed something
    failing = []
    for ex in exercises:
        missing = [t for t in ex.tests if t not in cells]
        if missing:
            raise ReportError(f"the gradebook has no grade cell {missing[0]!r} of "
                              f"{ex.name}: was the source changed after grading? Run "
                              f"`nbgrader generate_assignment {assignment}` and regrade")
        ex.graded += 1
        ex.points_earned += sum(cells[t][0] for t in ex.tests)
        failed = [t for t in ex.tests if cells[t][0] < cells[t][1] - _FULL_MARKS_TOL]
        if not failed:
            ex.passed += 1
            continue
        failing.append(ex.name)
        if reasons is None:
            reasons = read_reasons()
        # each student counts once per reason, however many of the tests it broke
        reason_counts[ex.name].update({_first_line(reasons[t]) for t in failed if t in reasons})
    return failing


# ------------------------------------------------------------------------------------------
# misconceptions: which typical mistake each failing exercise behaves like
#
# The grader names them while it grades (course.grader.misconceptions) and stores the verdicts
# in each autograded notebook's course_grading record; this section only counts them, with
# the mistakes' ``why`` read from source/<assignment>/mistakes.py.

NO_VERDICT = "no verdict"  # failed, but its notebook holds none (graded before, or unjudged)


@dataclass
class Misconception:
    """One row of an exercise's table: a verdict and the students who got it."""

    label: str  # the mistakes' names joined by " or ", or the verdict's status
    why: str
    students: list[str]
    recognised: bool = False


def _verdicts(course: Course, assignment: str, student: str) -> dict:
    if student in ("", ".", "..") or "/" in student or "\\" in student:
        return {}
    path = course.notebook("autograded", assignment, student)
    try:
        nb = submissions.read(path)
    except (OSError, ValueError):  # no autograded notebook, or not one: no verdict
        return {}
    record = nb.metadata.get(GRADING_KEY, {}).get(MISCONCEPTIONS, {})
    return record if isinstance(record, dict) else {}


def _whys(course: Course, assignment: str) -> dict[str, str]:
    try:
        mistakes = submissions.load_mistakes(course.root / "source" / assignment)[0]
    except Exception:  # noqa: BLE001 - a broken mistakes.py: the names alone
        return {}
    return {m.name: m.why for m in mistakes}


def _row_key(verdict) -> tuple[str, bool]:
    """A stored verdict as (label, recognised); anything unexpected is no verdict."""
    if not isinstance(verdict, dict):
        return NO_VERDICT, False
    names = verdict.get("mistakes")
    if verdict.get("status") == "recognised" and isinstance(names, list) and names:
        return " or ".join(str(n) for n in names), True
    status = verdict.get("status")
    return (str(status), False) if status in ("unrecognised", "not attempted") else \
        (NO_VERDICT, False)


def collect_misconceptions(course: Course, assignment: str,
                           students: list[StudentRow]) -> dict[str, list[Misconception]]:
    """Each exercise -> its misconception rows, most students first (recognised mistakes
    before the verdicts that name none), from the verdicts stored at grading."""
    whys = _whys(course, assignment)
    rows: dict[str, dict[str, Misconception]] = {}
    for row in students:
        stored = _verdicts(course, assignment, row.student) if row.failing else {}
        for exercise in row.failing:
            label, recognised = _row_key(stored.get(exercise))
            names = label.split(" or ") if recognised else []
            why = " or ".join(whys.get(n, n) for n in names)
            entry = rows.setdefault(exercise, {}).setdefault(
                label, Misconception(label, why, [], recognised))
            entry.students.append(row.student)
    return {exercise: sorted(found.values(),
                             key=lambda m: (not m.recognised, -len(m.students), m.label))
            for exercise, found in rows.items()}


def misconception_section(report: ClassReport) -> str:
    """The section: per exercise that someone failed, a table of misconceptions."""
    if not report.misconceptions:
        return ""
    parts = ["<h2>Misconceptions</h2>",
             "<p>For each failing exercise, the typical mistake of <code>mistakes.py</code> "
             "the submission behaves like in the hidden tests (its calls replayed on each "
             "mistake), or <i>unrecognised</i>; <i>not attempted</i>: the answer is the "
             "release's.</p>"]
    for exercise in [e.name for e in report.exercises]:
        found = report.misconceptions.get(exercise)
        if not found:
            continue
        body = "\n".join(
            f"<tr><td><code>{_e(m.label)}</code>"
            + (f" <span class=\"muted\">{_e(m.why)}</span>" if m.why else "") + "</td>"
            f"<td class=\"num\">{len(m.students)}</td>"
            f"<td class=\"student\">{_e(m.students[0])}</td></tr>" for m in found)
        parts.append(f"<h3><code>{_e(exercise)}</code></h3>\n<table class=\"misconceptions\">"
                     "\n<thead><tr><th>Misconception</th><th class=\"num\">Students</th>"
                     f"<th>For example</th></tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>")
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------
# the pictures: pure functions of an ax, as in course.plots


def score_histogram(ax, percents, *, max_score: float | None = None):
    """Histogram of total scores in percent of the maximum, mean and median marked."""
    from matplotlib.ticker import MaxNLocator

    percents = np.asarray(percents, dtype=float)
    ax.hist(percents, bins=np.linspace(0, 100, 11), color=PASS_COLOR, edgecolor="white",
            linewidth=1.0)
    if len(percents):
        mean, median = float(percents.mean()), float(np.median(percents))
        ax.axvline(mean, color=WEAK_COLOR, linestyle="--", linewidth=2,
                   label=f"mean {mean:.0f}%")
        ax.axvline(median, color="black", linestyle=":", linewidth=2,
                   label=f"median {median:.0f}%")
        # an opaque legend stays readable where a line runs behind it
        ax.legend(loc="upper center", ncols=2, framealpha=1.0, edgecolor="none")
        ax.set_ylim(0, ax.get_ylim()[1] * 1.15)  # room for the legend above the bars
    else:
        ax.text(50, 0.5, "no graded submission yet", ha="center", va="center", color="0.4")
        ax.set_ylim(0, 1)
    ax.set_xlim(0, 100)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"score (% of {max_score:g} points)" if max_score else "score (%)")
    ax.set_ylabel("students")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def pass_rate_chart(ax, exercises: list[ExerciseStats]):
    """Horizontal bars of each exercise's pass rate, in notebook order from the top; the
    weakest exercise(s) in another colour, the rate written at the end of each bar."""
    names = [f"{e.name} ({e.points:g} pts)" for e in exercises]
    rates = [e.pass_rate if e.pass_rate is not None else 0.0 for e in exercises]
    low = min((e.pass_rate for e in exercises if e.pass_rate is not None), default=None)
    colors = [WEAK_COLOR if low is not None and e.pass_rate is not None
              and e.pass_rate <= low + _FULL_MARKS_TOL else PASS_COLOR for e in exercises]
    y = np.arange(len(exercises))
    ax.barh(y, rates, color=colors, height=0.65)
    for i, e in enumerate(exercises):
        label = "not graded" if e.pass_rate is None else \
            f"{100 * e.pass_rate:.0f}%  ({e.passed}/{e.graded})"
        ax.text(rates[i] + 0.015, i, label, va="center", fontsize=9)
    ax.set_yticks(y, names)
    ax.invert_yaxis()  # notebook order, first exercise on top
    ax.set_xlim(0, 1.22)  # room for the labels of full bars
    ax.set_xticks(np.linspace(0, 1, 6), [f"{p:.0f}%" for p in np.linspace(0, 100, 6)])
    ax.set_xlabel("students who passed every test of the exercise")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _pngs(report: ClassReport) -> dict[str, bytes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 3.2), layout="constrained")
    score_histogram(fig.add_subplot(), report.percents, max_score=report.max_score)
    scores = plots.figure_png(fig, dpi=100)
    fig = Figure(figsize=(7.0, 1.0 + 0.42 * max(len(report.exercises), 1)), layout="constrained")
    pass_rate_chart(fig.add_subplot(), report.exercises)
    rates = plots.figure_png(fig, dpi=100)
    return {"scores.png": scores, "pass-rates.png": rates}


# ------------------------------------------------------------------------------------------
# the page

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; color: #222; max-width: 980px; margin: 2em auto;
       padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.date { color: #666; margin-top: 0; }
.weakest { background: #fdecea; border-left: 5px solid #d62728; padding: 0.6em 1em; }
.counts { display: flex; gap: 2.5em; padding: 0; list-style: none; }
.counts b { display: block; font-size: 1.5em; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; margin-top: 0.8em; }
th, td { text-align: left; vertical-align: top; padding: 0.35em 0.6em;
         border-bottom: 1px solid #e4e4e4; }
th { background: #f4f4f4; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.student { white-space: nowrap; }
tr.weak td { background: #fdecea; }
table.misconceptions { margin-bottom: 1.2em; }
ol.reasons { margin: 0; padding-left: 1.3em; font-size: 0.88em; }
ol.reasons code { white-space: pre-wrap; word-break: break-word; }
.muted { color: #888; }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _pct(fraction: float | None) -> str:
    return "\u2013" if fraction is None else f"{100 * fraction:.0f}%"


def _weakest_sentence(report: ClassReport) -> str:
    weakest = report.weakest
    if not weakest:
        return "No submission has been graded yet."
    first = weakest[0]
    names = ", ".join(f"<b>{_e(e.name)}</b>" for e in weakest)
    label = "Weakest exercise" if len(weakest) == 1 else "Weakest exercises"
    each = "" if len(weakest) == 1 else "each "
    student = "student" if first.graded == 1 else "students"
    return f"{label}: {names}: {each}{first.passed} of {first.graded} {student} passed."


def _exercise_rows(report: ClassReport) -> str:
    weak = {e.name for e in report.weakest}
    rows = []
    for e in report.exercises:
        if e.reasons:
            items = "".join(f"<li><code>{_e(reason)}</code> <span class=\"muted\">"
                            f"\u00d7 {count}</span></li>" for reason, count in e.reasons)
            reasons = f"<ol class=\"reasons\">{items}</ol>"
        else:
            reasons = "<span class=\"muted\">\u2013</span>"
        mean = "\u2013" if e.mean_points is None else f"{e.mean_points:.2f}"
        row_class = ' class="weak"' if e.name in weak else ""
        rows.append(
            f"<tr{row_class}><td><code>{_e(e.name)}</code></td>"
            f"<td class=\"num\">{e.points:g}</td>"
            f"<td class=\"num\">{_pct(e.pass_rate)} <span class=\"muted\">({e.passed} of "
            f"{e.graded})</span></td>"
            f"<td class=\"num\">{mean} <span class=\"muted\">of {e.points:g}</span></td>"
            f"<td>{reasons}</td></tr>")
    return "\n".join(rows)


def _student_rows(report: ClassReport) -> str:
    rows = []
    for s in report.students:
        failing = ", ".join(f"<code>{_e(f)}</code>" for f in s.failing) or \
            "<span class=\"muted\">none</span>"
        rows.append(f"<tr><td class=\"student\">{_e(s.student)}</td>"
                    f"<td class=\"num\">{s.score:g}</td>"
                    f"<td class=\"num\">{s.max_score:g}</td>"
                    f"<td class=\"num\">{s.percent:.0f}%</td>"
                    f"<td class=\"num\">{len(s.to_grade) or ''}</td><td>{failing}</td></tr>")
    return "\n".join(rows)


def _written_section(report: ClassReport) -> str:
    """The written answers still to grade, per question, apart from the scores."""
    if not report.questions:
        return ""
    waiting = report.waiting
    if not waiting:
        return (f"<h2>Written answers</h2>\n<p>All written answers of the "
                f"{len(report.questions)} questions are graded.</p>")
    rows = []
    for q, who in waiting.items():
        points, title = report.questions.get(q, (0.0, ""))
        rows.append(f"<tr><td>{_e(title or q)} <code>{_e(q)}</code></td>"
                    f"<td class=\"num\">{points:g}</td><td class=\"num\">{len(who)}</td>"
                    f"<td>{_e(', '.join(who))}</td></tr>")
    body = "\n".join(rows)
    return ("<h2>Written answers to grade</h2>\n<p>Not scores: these answers wait for a "
            "person (<code>nbgrader formgrader</code>) and count 0 in the scores above until "
            "then.</p>\n<table>\n<thead><tr><th>Question</th><th class=\"num\">Points</th>"
            "<th class=\"num\">Answers</th><th>Students</th></tr></thead>\n<tbody>\n"
            f"{body}\n</tbody>\n</table>")


def render_html(report: ClassReport) -> str:
    """The report page: static, no script, no resource but the two PNGs beside it."""
    percents = report.percents
    mean = f"{statistics.fmean(percents):.0f}%" if percents else "\u2013"
    median = f"{statistics.median(percents):.0f}%" if percents else "\u2013"
    title = f"Grade report: {_e(report.assignment)}"
    written = _written_section(report)
    if report.not_graded:
        waiting = ("<h2>Not graded yet</h2>\n<p>Left out of every number above: no grade of "
                   "these submissions has an autograder score.</p>\n<ul>"
                   + "".join(f"<li>{_e(s)}</li>" for s in report.not_graded) + "</ul>")
    else:
        waiting = ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_CSS}{similarity.SECTION_CSS if report.similarity else ""}</style>
</head>
<body>
<h1>{title}</h1>
<p class="date">Written {_e(report.written.strftime("%Y-%m-%d %H:%M"))}</p>
<p class="weakest">{_weakest_sentence(report)}</p>
<ul class="counts">
<li><b>{len(report.students)}</b>graded</li>
<li><b>{len(report.not_graded)}</b>not graded yet</li>
<li><b>{mean}</b>mean score</li>
<li><b>{median}</b>median score</li>
<li><b>{report.max_score:g}</b>points</li>
<li><b>{sum(len(w) for w in report.waiting.values())}</b>written answers to grade</li>
</ul>
<h2>Scores</h2>
<img src="scores.png" alt="Histogram of the total scores in percent of the maximum">
<h2>Exercises</h2>
<img src="pass-rates.png" alt="Pass rate of each exercise">
<table>
<thead><tr><th>Exercise</th><th class="num">Points</th><th class="num">Passed</th>
<th class="num">Mean points</th><th>Commonest failures (students)</th></tr></thead>
<tbody>
{_exercise_rows(report)}
</tbody>
</table>
<h2>Students</h2>
<table>
<thead><tr><th>Student</th><th class="num">Score</th><th class="num">Max</th>
<th class="num">%</th><th class="num">Written to grade</th><th>Failing exercises</th></tr>
</thead>
<tbody>
{_student_rows(report)}
</tbody>
</table>
{written}
{waiting}
{_similarity_section(report)}
{misconception_section(report)}
</body>
</html>
"""


# ------------------------------------------------------------------------------------------
# similar solutions (course.grader.similarity): pairs of submitted answers alike once
# normalised, read from submitted/ (the students' own notebooks, parsed, never run)


def _similar_solutions(root: Path, assignment: str):
    """The similarity check of the submissions in ``root/submitted/``, or None where there is
    none to compare (a gradebook kept elsewhere, or no release notebook)."""
    submitted = Path(root) / "submitted"
    if not submitted.is_dir() or not any((d / assignment).is_dir() for d in submitted.iterdir()):
        return None
    try:
        return similarity.compare_course(root, assignment)
    except (OSError, ValueError):  # no release or source notebook: the section is left out
        return None


def _similarity_section(report: ClassReport) -> str:
    return similarity.html_section(report.similarity) if report.similarity else ""


def write_report(root: Path, assignment: str, *, db_url: str | None = None,
                 out: Path | None = None) -> Path:
    """Write ``index.html``, ``scores.png`` and ``pass-rates.png`` of ``assignment`` to ``out``
    (default ``<root>/reports/<assignment>/``) and return the page's path.

    Raises :class:`ReportError` (see :func:`collect`) when there is nothing to report on.
    """
    report = collect(root, assignment, db_url=db_url)
    out = Path(out) if out is not None else Path(root) / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    for name, data in _pngs(report).items():
        (out / name).write_bytes(data)
    page = out / "index.html"
    page.write_text(render_html(report), encoding="utf-8")
    return page
