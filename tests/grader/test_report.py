"""``python -m course.grader report``: the grade report of a class graded by real nbgrader.

The class is the ``graded`` fixture's: a reference student, a blank one, and one student per
typical mistake of ``mistakes.py``, each of which breaks exactly its own exercise. So the
expected pass rate of every exercise follows from ``MISTAKES`` alone. A copy of that course
gets a submission that was never autograded and a student whose id and failure reason are
HTML, to check that the first is left out and the second escaped.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from conftest import ASSIGNMENTS, MISTAKES, ROOT, SCREENSHOTS, graded_group, notebook_path

from course.grader import cells, demo, gradebook, report, steps, submissions
from course.grader.coursedir import Course

ASSIGNMENT = ASSIGNMENTS[0]
# on the worker that grades ASSIGNMENT's class for tests/e2e/test_assignments.py: graded once
pytestmark = pytest.mark.xdist_group(graded_group(ASSIGNMENT))
CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "<img src=x onerror=alert(1)>"  # a student id; no "/" so it can be a folder name
HOSTILE_REASON = "<script>alert('reason')</script>"


class _Tables(HTMLParser):
    """The text of every table cell of a page: ``tables[i][row][column]``."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _expected(exercises) -> dict[str, tuple[int, int]]:
    """``{exercise: (passed, graded)}``: the reference passes everything, the blank student
    nothing, and each mistake student everything but the exercise of its mistake."""
    mistakes = MISTAKES[ASSIGNMENT]
    graded = 2 + len(mistakes)
    return {f: (1 + sum(m.function != f for m in mistakes), graded) for f in exercises}


def _exercise_rows(page: str) -> dict[str, list[str]]:
    exercises, _students = _Tables(page).tables[:2]
    return {row[0]: row for row in exercises[1:]}


def _student_rows(page: str) -> dict[str, list[str]]:
    return {row[0]: row for row in _Tables(page).tables[1][1:]}


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course.grader", "report", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.fixture(scope="module")
def run(graded):
    return graded[ASSIGNMENT]


@pytest.fixture(scope="module")
def cli_page(run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report-cli")
    proc = _run_cli(ASSIGNMENT, "--root", str(run.root), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out / "index.html")
    return out / "index.html"


@pytest.fixture(scope="module")
def edited(run, tmp_path_factory) -> Path:
    """A copy of the course with a submission never autograded (``late``), a graded student
    ``HOSTILE`` who failed everything with an HTML failure reason, and an assignment with no
    submission."""
    root = tmp_path_factory.mktemp("report-edited") / "course"
    shutil.copytree(run.root, root)
    with Course.at(root).gradebook() as gb:  # the copy's own gradebook.db
        for student in ("late", HOSTILE):
            gb.add_student(student)
            with gb.db.no_autoflush:  # else SQLAlchemy warns about nbgrader's half-built rows
                gb.add_submission(ASSIGNMENT, student)
        for nb in gb.find_submission(ASSIGNMENT, HOSTILE).notebooks:
            for grade in nb.grades:
                grade.auto_score = 0.0
        gb.db.commit()
        gb.add_assignment("empty")
    blank = nbformat.read(str(notebook_path(root / "autograded" / "blank", ASSIGNMENT)), 4)
    for cell in blank.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                out.evalue = HOSTILE_REASON
    path = notebook_path(root / "autograded" / HOSTILE, ASSIGNMENT)
    path.parent.mkdir(parents=True)
    nbformat.write(blank, str(path))
    return root


def test_cli_page_gives_each_exercise_its_pass_rate(run, cli_page):
    """Check that the page's exercise table has the pass rate the mistakes imply."""
    page = cli_page.read_text()
    rows = _exercise_rows(page)
    assert list(rows) == list(run.exercises), "exercises in notebook order"
    for exercise, (passed, graded) in _expected(run.exercises).items():
        row = rows[exercise]
        assert row[1] == f"{run.exercises[exercise]['points']:g}"
        assert row[2] == f"{100 * passed / graded:.0f}% ({passed} of {graded})", exercise


def test_cli_page_names_the_weakest_exercise(run, cli_page):
    """Check the one-sentence call-out at the top names the exercise fewest students passed."""
    expected = _expected(run.exercises)
    low = min(p for p, _ in expected.values())
    weakest = [f for f, (p, _) in expected.items() if p == low]
    graded = 2 + len(MISTAKES[ASSIGNMENT])
    page = cli_page.read_text()
    text = " ".join(page.split())
    label = "Weakest exercise" if len(weakest) == 1 else "Weakest exercises"
    names = ", ".join(f"<b>{f}</b>" for f in weakest)
    each = "" if len(weakest) == 1 else "each "
    assert f"{label}: {names}: {each}{low} of {graded} students passed." in text


def test_cli_page_lists_each_students_failing_exercises(run, cli_page):
    """Check the student table: a mistake fails only its own exercise, blank fails all."""
    rows = _student_rows(cli_page.read_text())
    assert rows["reference"][5] == "none"
    assert rows["reference"][1] == f"{run.scores['reference']['score']:g}"  # written: to grade
    assert rows["reference"][2] == f"{run.scores['reference']['max_score']:g}"
    assert rows["blank"][5] == ", ".join(run.exercises)
    for mistake in MISTAKES[ASSIGNMENT]:
        assert rows[mistake.student][5] == mistake.function, mistake.student
        assert rows[mistake.student][1] == f"{run.scores[mistake.student]['score']:g}"
    assert "<h2>Not graded yet</h2>" not in cli_page.read_text()


def test_cli_page_shows_failure_reasons(run, cli_page):
    """Check each exercise shows the commonest failure reasons, with counts of students."""
    rows = _exercise_rows(cli_page.read_text())
    for exercise in run.exercises:
        # every exercise is failed by the blank student, whose stub raises NotImplementedError
        assert "NotImplementedError × 1" in rows[exercise][4], rows[exercise][4]
        assert rows[exercise][4].count("×") <= report.REASONS_SHOWN


def test_pngs_are_valid_and_nonempty(cli_page):
    """Check both charts are real PNGs of a sensible size, referenced by relative path."""
    from PIL import Image

    page = cli_page.read_text()
    for name in ("scores.png", "pass-rates.png"):
        path = cli_page.parent / name
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert 5_000 < len(data) < 500_000, len(data)
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            assert 400 <= im.width <= 1600 and 200 <= im.height <= 1600, im.size
    # self-contained: the two PNGs beside it are all it loads, and it runs no script
    assert sorted(re.findall(r'src="([^"]*)"', page)) == ["pass-rates.png", "scores.png"]
    assert "<script" not in page and "href=" not in page and "<link" not in page


def test_write_report_matches_the_cli_numbers(run, tmp_path):
    """Check ``write_report`` called directly: same numbers, mean points per exercise."""
    page = report.write_report(run.root, ASSIGNMENT, out=tmp_path / "out")
    assert page == tmp_path / "out" / "index.html"
    assert {p.name for p in page.parent.iterdir()} == {"index.html", "scores.png",
                                                       "pass-rates.png"}
    data = report.collect(run.root, ASSIGNMENT)
    expected = _expected(run.exercises)
    assert {e.name: (e.passed, e.graded) for e in data.exercises} == expected
    assert data.not_graded == []
    for e in data.exercises:
        earned = sum(sum(run.scores[s]["cells"][t][0] for t in e.tests) for s in run.scores)
        assert e.mean_points == pytest.approx(earned / len(run.scores))
    percents = sorted(100 * s["score"] / s["max_score"] for s in run.scores.values())
    assert sorted(data.percents) == pytest.approx(percents)


def test_not_graded_submission_is_left_out(run, edited):
    """Check a submission without autograder scores is listed apart and counts nowhere."""
    page_path = report.write_report(edited, ASSIGNMENT)
    assert page_path == edited / "reports" / ASSIGNMENT / "index.html"
    page = page_path.read_text()
    data = report.collect(edited, ASSIGNMENT)
    assert data.not_graded == ["late"]
    assert "late" not in _student_rows(page)
    assert "<h2>Not graded yet</h2>" in page and "<li>late</li>" in page
    assert "<li><b>1</b>not graded yet</li>" in page
    # HOSTILE is graded with zero everywhere: one more graded student, no more passes
    for e in data.exercises:
        passed, graded = _expected(run.exercises)[e.name]
        assert (e.passed, e.graded) == (passed, graded + 1), e.name


def test_student_text_is_escaped(edited, tmp_path):
    """Check a student id and a failure reason that are HTML reach the page only escaped."""
    page = report.write_report(edited, ASSIGNMENT, out=tmp_path).read_text()
    assert HOSTILE not in page and "<script" not in page
    assert html.escape(HOSTILE) in page
    assert html.escape(HOSTILE_REASON) in page
    full = _student_rows(page)["reference"][2]  # the notebook's points
    assert _student_rows(page)[HOSTILE][1:4] == ["0", full, "0%"]


def test_cli_exits_2_without_assignment_or_submission(edited, tmp_path, capsys):
    """Check the CLI explains, without a traceback, why there is nothing to report."""
    from course.grader.cli import main

    proc = _run_cli("no-such-assignment", "--root", str(edited), "--out", str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert "no assignment 'no-such-assignment'" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    # the same code path in this process, which spares the second start-up
    assert main(["report", "empty", "--root", str(edited), "--out", str(tmp_path)]) == 2
    assert "no submission of 'empty'" in capsys.readouterr().err
    assert not (tmp_path / "index.html").exists()


def test_weakest_sentence_on_a_tie():
    """Check a tie names every weakest exercise, and an ungraded class says so."""
    exercises = [report.ExerciseStats("a", 2, ["a_t"], passed=1, graded=3),
                 report.ExerciseStats("b", 1, ["b_t"], passed=3, graded=3),
                 report.ExerciseStats("c<", 1, ["c_t"], passed=1, graded=3)]
    data = report.ClassReport(ASSIGNMENT, report.datetime.datetime(2024, 1, 1), exercises,
                              [], [])
    page = report.render_html(data)
    assert ("Weakest exercises: <b>a</b>, <b>c&lt;</b>: each 1 of 3 students passed."
            in page)
    empty = report.ClassReport(ASSIGNMENT, data.written,
                               [report.ExerciseStats("a", 2, ["a_t"])], [], ["x"])
    assert "No submission has been graded yet." in report.render_html(empty)


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no {CHROMIUM}")
def test_page_in_chromium(cli_page):
    """Check the page loads both images in a real browser; keep a full-page screenshot."""
    from playwright.sync_api import sync_playwright

    shot = SCREENSHOTS / "report" / f"{ASSIGNMENT}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                     args=["--no-sandbox", "--disable-gpu",
                                           "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(cli_page.as_uri())
            page.wait_for_load_state("load")
            widths = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])")
            assert sorted(src for src, _ in widths) == ["pass-rates.png", "scores.png"]
            assert all(width > 0 for _, width in widths), widths
            assert page.title() == f"Grade report: {ASSIGNMENT}"
            assert errors == []
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000


def _written_rows(page: str) -> dict[str, list[str]]:
    """The table of written answers to grade, by the question's grade_id (last word of cell 0)."""
    tables = _Tables(page).tables
    if len(tables) < 3:
        return {}
    return {row[0].split()[-1]: row for row in tables[2][1:]}


def test_cli_page_lists_written_answers_to_grade_apart(run, cli_page):
    """Check every written answer nobody has graded is listed per question, apart from scores:
    everyone's but the blank's (an untouched answer is nbgrader's automatic 0)."""
    questions = cells.written(submissions.read(notebook_path(ROOT / "source", ASSIGNMENT)))
    page = cli_page.read_text()
    rows = _written_rows(page)
    waiting = sorted(s for s in run.scores if s != "blank")
    assert list(rows) == list(questions)
    for q, w in questions.items():
        assert rows[q][0] == f"{w['question']} {q}"
        assert rows[q][1:3] == [f"{w['points']:g}", str(len(waiting))]
        assert rows[q][3].split(", ") == waiting
    students = _student_rows(page)
    assert students["reference"][4] == str(len(questions))
    assert students["blank"][4] == ""
    assert f"<li><b>{len(questions) * len(waiting)}</b>written answers to grade</li>" in page


def test_the_demo_instructor_grades_model_answers_only(run, tmp_path):
    """Check ``demo.grade_model_answers``: full marks for an answer that is the model answer,
    word for word; any other answer still waits for a person, and the page says so."""
    root = tmp_path / "course"
    shutil.copytree(run.root, root)
    questions = cells.written(submissions.read(notebook_path(root / "source", ASSIGNMENT)))
    first = next(iter(questions))
    other = MISTAKES[ASSIGNMENT][0].student
    path = notebook_path(root / "autograded" / other, ASSIGNMENT)
    nb = nbformat.read(str(path), 4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == first:
            cell.source += " (In my own words, that is.)"
    nbformat.write(nb, str(path))

    assert demo.grade_model_answers(root, ASSIGNMENT) == {other: [first]}
    scores = gradebook.read_scores(root, ASSIGNMENT)
    model = {q: (w["points"], w["points"]) for q, w in questions.items()}
    assert scores["reference"]["written"] == model and scores["reference"]["to_grade"] == []
    assert scores["reference"]["score"] == scores["reference"]["max_score"]
    assert scores[other]["to_grade"] == [first]
    assert scores[other]["written"][first] == (None, questions[first]["points"])
    assert scores["blank"]["score"] == 0 and scores["blank"]["to_grade"] == []
    page = report.write_report(root, ASSIGNMENT, out=tmp_path / "page").read_text()
    assert {q: row[3] for q, row in _written_rows(page).items()} == {first: other}


def test_page_lists_similar_solutions_escaped(edited, tmp_path):
    """Check the page's similarity section: two submitted answers alike once normalised are
    listed with their diff (the ids escaped); the graded class's own are not. The copies are
    only in submitted/: the check reads what students handed in, graded or not."""
    answer = ("    hidden = np.maximum(0.0, X.sum(axis=1, keepdims=True) - np.array([[0., 1.]]))\n"
              "    return hidden[:, 0] - 2.0 * hidden[:, 1]\n")
    copied = answer.replace("hidden", "H").replace("2.0", "2.") + "    # mine\n"
    reference = submissions.reference_for(edited, ASSIGNMENT)
    copies = {}
    for student, body in ((HOSTILE, answer), ("copier", copied)):
        nb = copy.deepcopy(reference)
        for cell in nb.cells:
            if cells.nbgrader_meta(cell).get("grade_id") == "xor_relu_net":
                cell.source = cell.source.split("    W = np.array")[0] + body
        copies[student] = nb
    submissions.submit(edited, ASSIGNMENT, copies)
    page = report.write_report(edited, ASSIGNMENT, out=tmp_path).read_text()
    section = page.split("<h2>Similar solutions</h2>")[1]
    assert section.count("<details class=\"pair\">") == 1
    assert f"<b>{html.escape(HOSTILE)}</b> and <b>copier</b>" in section or \
        f"<b>copier</b> and <b>{html.escape(HOSTILE)}</b>" in section
    assert "<code>xor_relu_net</code>" in section and HOSTILE not in page
    assert html.escape("return H[:, 0] - 2. * H[:, 1]") in section
def _misconception_tables(page: str) -> dict[str, list[list[str]]]:
    """Each exercise's misconception table, as rows of cell texts (the tables after the
    heading "Misconceptions", one per exercise heading)."""
    section = page.split("<h2>Misconceptions</h2>", 1)[1]
    out = {}
    for part in section.split("<h3>")[1:]:
        exercise = html.unescape(re.sub(r"<[^>]+>", "", part.split("</h3>", 1)[0]))
        out[exercise] = _Tables(part).tables[0][1:]
    return out


def test_cli_page_names_each_exercises_misconceptions(run, cli_page):
    """Check the misconception tables: every failing student's stored verdict counted under
    its exercise, a recognised mistake with its ``why``, an example student, and the blank
    release as not attempted, never as a mistake."""
    tables = _misconception_tables(cli_page.read_text())
    named: dict[str, dict[str, list[str]]] = {f: {} for f in run.exercises}
    for mistake in MISTAKES[ASSIGNMENT]:
        verdict = run.misconceptions(mistake.student)[mistake.function]
        named[mistake.function].setdefault(" or ".join(verdict["mistakes"]), []).append(
            mistake.student)
    whys = {m.name: m.why for m in MISTAKES[ASSIGNMENT]}
    assert list(tables) == list(run.exercises)
    for exercise, rows in tables.items():
        expected = [[f"{label} {' or '.join(whys[n] for n in label.split(' or '))}",
                     str(len(students)), sorted(students)[0]]
                    for label, students in named[exercise].items()]
        assert rows[-1] == ["not attempted", "1", "blank"], rows
        assert sorted(rows[:-1]) == sorted(expected), exercise
        assert [int(r[1]) for r in rows[:-1]] == sorted((int(r[1]) for r in rows[:-1]),
                                                        reverse=True)


def test_feedback_page_names_the_mistake(edited):
    """Check ``nbgrader generate_feedback`` shows a student the misconception, in words."""
    mistake = next(m for m in MISTAKES[ASSIGNMENT] if m.name == "step-at-zero-is-one")
    steps.nbgrader(["generate_feedback", ASSIGNMENT, f"--student={mistake.student}",
                    "--force"], edited)
    page = notebook_path(edited / "feedback" / mistake.student, ASSIGNMENT).with_suffix(
        ".html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert f"your `step` behaves like one that {mistake.why}." in text
    assert "_hidden_test" not in page
