"""``python -m course.grader export``: grades for Canvas, Moodle or plain CSV, from one real
gradebook.

The class (01-linearity-xor, graded once by ``nbgrader autograde`` with the late policy
"zero" of nbgrader's ``LateSubmissionPlugin``): ``reference`` handed in 12 hours late (the
extensions file excuses it), a typical mistake handed in a day late, ``blank`` on time; a
student with no submission, and one whose submission has no autograder score (its grading
never ran). Each test exports from its own copy of the gradebook: the export writes the
extensions and penalties into it.
"""

from __future__ import annotations

import csv
import datetime
import io
import shutil
import subprocess
import sys

import pytest
from conftest import MISTAKES, ROOT

from course.grader import demo, export, gradebook, steps, submissions
from course.grader.cells import exercises
from course.grader.coursedir import Course

ASSIGNMENT = "01-linearity-xor"
DUE = datetime.datetime(2026, 1, 10, 12, 0, 0)
MISTAKE = MISTAKES[ASSIGNMENT][0]
LATE = {"reference": datetime.timedelta(hours=12), MISTAKE.student: datetime.timedelta(days=1),
        "blank": datetime.timedelta(hours=-1)}
NAMES = {"reference": ("Lovelace", "Ada", "ada@example.org"),
         MISTAKE.student: ("Turing", "Alan", "alan@example.org"),
         "absent": ("Hopper", "Grace", "grace@example.org")}  # blank, failed: no names


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The class of the module's docstring, graded once."""
    root = steps.scratch_course(ROOT, ASSIGNMENT, tmp_path_factory.mktemp("export") / "c")
    with open(root / "nbgrader_config.py", "a") as fh:
        fh.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    reference = submissions.reference_for(root, ASSIGNMENT)
    release = submissions.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    submissions.submit(root, ASSIGNMENT, {
        "reference": reference, "blank": release,
        MISTAKE.student: submissions.apply_mistake(reference, MISTAKE)})
    for student, late in LATE.items():
        (root / "submitted" / student / ASSIGNMENT / "timestamp.txt").write_text(
            str(DUE + late))
    with Course.at(root).gradebook() as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUE)
        for student, (last, first, email) in NAMES.items():
            gb.update_or_create_student(student, last_name=last, first_name=first, email=email)
    steps.nbgrader(["autograde", ASSIGNMENT, "--force", "--SandboxedExecute.draw_figures=False"],
                   root)  # figures decide no grade
    demo.grade_model_answers(root, ASSIGNMENT)  # the written answers, so scores are final
    with Course.at(root).gradebook() as gb:
        gb.add_student("failed")
        with gb.db.no_autoflush:
            gb.add_submission(ASSIGNMENT, "failed")  # in the gradebook, never autograded
        gb.db.commit()
    return root


@pytest.fixture(scope="module")
def scores(course):
    """The gradebook's raw scores as autograde left them (before any export)."""
    return gradebook.read_scores(course, ASSIGNMENT)


@pytest.fixture
def db(course, tmp_path):
    """This test's own copy of the gradebook: its URL."""
    shutil.copy(course / "gradebook.db", tmp_path / "gradebook.db")
    return f"sqlite:///{tmp_path / 'gradebook.db'}"


@pytest.fixture
def extensions(tmp_path):
    path = tmp_path / "extensions.csv"
    path.write_text(f"student_id,extension,assignment\nreference,P1D,{ASSIGNMENT}\n")
    return path


def _cli(course, db, *args):
    return subprocess.run([sys.executable, "-m", "course.grader", "export", ASSIGNMENT,
                           "--root", str(course), "--db-url", db, *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _export(course, db, fmt, **kwargs) -> str:
    return export.export(course, [ASSIGNMENT], fmt, db_url=db, **kwargs)[0]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _num(x: float) -> str:
    return f"{x:g}"


def test_the_class_is_as_described(course, scores):
    """The fixture's facts the other tests rely on: who is graded, who is late. Autograde gave
    both late submissions nbgrader's "zero" penalty, their score *then*: without the written
    answers, graded afterwards. The export computes it again on the final score."""
    assert set(scores) == {"reference", "blank", MISTAKE.student, "failed"}
    assert not scores["failed"]["graded"]
    assert scores["reference"]["score"] == scores["reference"]["max_score"] > 0
    assert 0 < scores[MISTAKE.student]["score"] < scores[MISTAKE.student]["max_score"]
    assert scores["blank"]["score"] == 0
    assert all(not e["to_grade"] for e in scores.values() if e["graded"])
    with Course.at(course).gradebook() as gb:
        for student in ("reference", MISTAKE.student, "blank"):
            sub = gb.find_submission(ASSIGNMENT, student)
            assert sub.total_seconds_late == max(0, LATE[student].total_seconds())
            late = sub.total_seconds_late > 0
            autograded = sum(score for score, _ in scores[student]["cells"].values())
            assert sub.late_submission_penalty == (autograded if late else 0)
            assert not late or autograded < scores[student]["score"]


def test_canvas_file_with_an_extension(course, db, extensions, scores, tmp_path):
    out = tmp_path / "canvas.csv"
    proc = _cli(course, db, "--format", "canvas", "--extensions", str(extensions), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    full = scores["reference"]["max_score"]
    assert _rows(out.read_text()) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT],
        ["Points Possible", "", "", "", "", _num(full)],
        ["Hopper, Grace", "", "", "absent", "", ""],  # no submission: empty, never 0
        ["blank", "", "", "blank", "", "0"],
        ["failed", "", "", "failed", "", ""],  # not graded: empty, listed apart
        ["Turing, Alan", "", "", MISTAKE.student, "", "0"],  # a day late: "zero"
        ["Lovelace, Ada", "", "", "reference", "", _num(full)],  # late, excused
    ]
    apart = tmp_path / "canvas.not-graded.csv"
    assert _rows(apart.read_text())[1][:2] == ["failed", ASSIGNMENT]
    assert "not graded, left empty" in proc.stderr and "failed" in proc.stderr
    # the gradebook now holds the extension and the penalties, as nbgrader would compute them
    with Course.at(course, db).gradebook() as gb:
        ref = gb.find_submission(ASSIGNMENT, "reference")
        assert ref.extension == datetime.timedelta(days=1) and ref.total_seconds_late == 0
        assert ref.late_submission_penalty == 0
        late = gb.find_submission(ASSIGNMENT, MISTAKE.student)
        assert late.score > 0 and late.late_submission_penalty == pytest.approx(late.score)


def test_without_the_extension_the_late_reference_gets_the_penalty(course, db, scores):
    rows = {r[0]: r for r in _rows(_export(course, db, "csv"))}
    assert rows["student_id"] == ["student_id", "last_name", "first_name", "email", ASSIGNMENT,
                                  f"{ASSIGNMENT} late penalty", f"{ASSIGNMENT} status"]
    full = _num(scores["reference"]["max_score"])
    assert rows["reference"] == ["reference", "Lovelace", "Ada", "ada@example.org", "0", full,
                                 "graded"]
    assert rows["blank"] == ["blank", "", "", "", "0", "0", "graded"]  # on time: no penalty
    assert rows["absent"] == ["absent", "Hopper", "Grace", "grace@example.org", "", "",
                              "no submission"]
    assert rows["failed"] == ["failed", "", "", "", "", "", "not graded"]
    assert rows[MISTAKE.student][4:6] == ["0", _num(scores[MISTAKE.student]["score"])]


def test_moodle_file_with_exercise_columns(course, db, extensions, scores):
    rows = _rows(_export(course, db, "moodle", exercises=True, extensions=extensions))
    ex = exercises(submissions.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
    assert rows[0] == ["Username", "Email address", ASSIGNMENT,
                       *(f"{ASSIGNMENT}: {name}" for name in ex)]
    by = {r[0]: r for r in rows[1:]}
    assert list(by) == ["absent", "blank", "failed", MISTAKE.student, "reference"]
    points = [_num(e["points"]) for e in ex.values()]
    assert by["reference"] == ["reference", "ada@example.org",
                               _num(scores["reference"]["max_score"]), *points]
    assert by["blank"] == ["blank", "", "0", *["0"] * len(ex)]
    assert by["absent"] == ["absent", "grace@example.org", *[""] * (len(ex) + 1)]
    assert by["failed"] == ["failed", "", *[""] * (len(ex) + 1)]
    # the mistake loses points on its own exercise only; the exercise columns are the
    # autograder's points, before the late penalty that zeroes the total
    cells = scores[MISTAKE.student]["cells"]
    own = [_num(sum(cells[t][0] for t in e["tests"])) for e in ex.values()]
    assert by[MISTAKE.student] == [MISTAKE.student, "alan@example.org", "0", *own]
    assert [o == p for o, p in zip(own, points)] == [n != MISTAKE.function for n in ex]


def test_the_extensions_file_is_checked_line_by_line(course, db, tmp_path):
    bad = tmp_path / "bad.csv"
    for text, message in [("student_id,extension\nreference,48\nblank,P1M\n",
                           r"line 3 \(blank\): 'P1M' is not a duration"),
                          ("student_id,extension\nnobody,2\n",
                           "'nobody', who is not in the gradebook"),
                          ("student,hours\nreference,2\n", "header 'student_id,extension'")]:
        bad.write_text(text)
        with pytest.raises(export.ExportError, match=message):
            _export(course, db, "csv", extensions=bad)
    with pytest.raises(export.ExportError, match="no assignment '99-none'"):
        export.export(course, ["99-none"], "csv", db_url=db)
    # nothing was changed in the gradebook by a refused export
    with Course.at(course, db).gradebook() as gb:
        assert gb.find_submission(ASSIGNMENT, "reference").extension is None


@pytest.mark.parametrize(("text", "hours"), [("48", 48), ("1.5", 1.5), ("P2DT12H", 60),
                                             ("p1w", 168), ("PT90M", 1.5), ("PT36S", 0.01),
                                             ("0", 0)])
def test_durations(text, hours):
    assert export.parse_duration(text) == datetime.timedelta(hours=hours)


@pytest.mark.parametrize("text", ["", "P", "PT", "P1Y", "P1M", "-3", "two days", "P1DT"])
def test_durations_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        export.parse_duration(text)
