"""Similar solutions (``course.grader.similarity``): planted copies are flagged, independent
answers are not.

The class is 01-linearity-xor's, built in memory from its source, release and ``mistakes.py``
(no grading): the reference, the blank release, one student per typical mistake and per
correct variant, and three students who wrote three exercises each their own way, by hand
below. A copier takes one of them and hides the copy as students do: renamed variables,
independent lines reordered, comments and blank lines added, numbers written differently.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MISTAKES, ROOT, VARIANTS

from course.grader import similarity, submissions
from course.grader.cells import nbgrader_meta

ASSIGNMENT = "01-linearity-xor"
NAME = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
EXERCISES = ("affine_check", "fit_least_squares", "xor_relu_net")

# three students' own correct answers: different ideas, not edits of the reference
OWN = {
    "alice": {
        "affine_check": """
    zero = np.zeros(np.shape(x1))
    offset = np.asarray(f(zero), dtype=float)

    def same(u, v):
        u = np.asarray(u, dtype=float)
        v = np.asarray(v, dtype=float)
        tol = 1e-9 * max(1.0, np.abs(u).max(), np.abs(v).max())
        return np.abs(u - v).max() <= tol

    lin = lambda x: np.asarray(f(x), dtype=float) - offset  # noqa: E731
    ok = same(lin(x1 + x2), lin(x1) + lin(x2))
    for x in (x1, x2):
        ok = ok and same(lin(lam * x), lam * lin(x))
    return bool(ok)
""",
        "fit_least_squares": """
    n = X.shape[0]
    design = np.hstack([X, np.ones((n, 1))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    w = coef[:-1]
    b = float(coef[-1])
    return w, b
""",
        "xor_relu_net": """
    hidden = np.maximum(0.0, X.sum(axis=1, keepdims=True) - np.array([[0.0, 1.0]]))
    return hidden[:, 0] - 2.0 * hidden[:, 1]
""",
    },
    "bob": {
        "affine_check": """
    c = f(0 * x1)
    pairs = [(f(x1 + x2) - c, f(x1) - c + f(x2) - c),
             (f(lam * x1) - c, lam * (f(x1) - c)),
             (f(lam * x2) - c, lam * (f(x2) - c))]
    for left, right in pairs:
        left, right = np.asarray(left, float), np.asarray(right, float)
        bound = 1e-9 * np.max([1.0, np.max(np.abs(left)), np.max(np.abs(right))])
        if np.max(np.abs(left - right)) > bound:
            return False
    return True
""",
        "fit_least_squares": """
    ones = np.ones((len(y), 1))
    M = np.concatenate((X, ones), axis=1)
    solution = np.linalg.pinv(M) @ y
    return solution[:X.shape[1]], float(solution[X.shape[1]])
""",
        "xor_relu_net": """
    s = X[:, 0] + X[:, 1]
    h1 = np.maximum(s, 0)
    h2 = np.maximum(s - 1, 0)
    return h1 - 2 * h2
""",
    },
    "carol": {
        "affine_check": """
    base = np.asarray(f(np.zeros_like(x1, dtype=float)), dtype=float)
    results = []
    for a, b in [(f(x1 + x2) - base, (f(x1) - base) + (f(x2) - base)),
                 (f(lam * x1) - base, lam * (f(x1) - base)),
                 (f(lam * x2) - base, lam * (f(x2) - base))]:
        a = np.atleast_1d(np.asarray(a, dtype=float))
        b = np.atleast_1d(np.asarray(b, dtype=float))
        scale = max(1.0, np.abs(a).max(), np.abs(b).max())
        results.append(np.abs(a - b).max() <= 1e-9 * scale)
    return all(results)
""",
        "fit_least_squares": """
    X1 = np.c_[X, np.ones(X.shape[0])]
    result = np.linalg.lstsq(X1, y, rcond=None)
    params = result[0]
    weights, bias = params[:-1], params[-1]
    return weights, float(bias)
""",
        "xor_relu_net": """
    weights = np.ones((2, 2))
    bias = np.array([0, -1])
    out = np.array([1, -2])
    pre = X @ weights + bias
    pre[pre < 0] = 0
    return pre @ out
""",
    },
}

# alice's answers as a copier hands them in: every trick at once
COPIED = {
    "affine_check": """
    # the constant part
    C0 = np.asarray(f(np.zeros(np.shape(x1))), dtype=float)
    linear_part = lambda z: np.asarray(f(z), dtype=float) - C0  # noqa: E731

    def equal(p, q):
        # compare with a relative tolerance
        p = np.asarray(p, dtype=float)
        q = np.asarray(q, dtype=float)
        eps = 0.000000001 * max(1., np.abs(p).max(), np.abs(q).max())
        return np.abs(p - q).max() <= eps

    result = equal(linear_part(x1 + x2), linear_part(x1) + linear_part(x2))
    for point in (x1, x2):
        result = result and equal(linear_part(lam * point), lam * linear_part(point))

    return bool(result)
""",
    "fit_least_squares": """
    rows = X.shape[0]
    A = np.hstack([X, np.ones((rows, 1))])   # add the bias column
    theta, *rest = np.linalg.lstsq(A, y, rcond=None)

    bias = float(theta[-1])
    weights = theta[:-1]
    return weights, bias
""",
    "xor_relu_net": """
    # ReLU layer
    H = np.maximum(0., X.sum(axis=1, keepdims=True) - np.array([[0e0, 1e0]]))
    return H[:, 0] - 2. * H[:, 1]  # output layer
""",
}

HEADER = re.compile(r"^def \w+\(.*?\):\n    \"\"\".*?\"\"\"\n", re.S | re.M)


def _answer(reference_cell: str, body: str) -> str:
    """The solution cell with its function's body replaced by ``body``."""
    header = HEADER.match(reference_cell)
    assert header, reference_cell[:200]
    return header.group(0) + body.lstrip("\n")


def _with(nb, answers: dict[str, str]):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in answers and nbgrader_meta(cell).get("solution"):
            cell.source = _answer(cell.source, answers[gid])
    return nb


def _json(nb) -> dict:
    return json.loads(json.dumps(nb))


@pytest.fixture(scope="module")
def notebooks():
    release = submissions.read(ROOT / "release" / NAME)
    source = submissions.read(ROOT / "source" / NAME)
    return release, source, submissions.reference_submission(release, source)


@pytest.fixture(scope="module")
def klass(notebooks) -> dict:
    """``{student: notebook}``: the class described in the module's docstring."""
    release, _source, reference = notebooks
    out = {"reference": reference, "blank": release}
    for edit in MISTAKES[ASSIGNMENT] + VARIANTS[ASSIGNMENT]:
        out[edit.student] = submissions.apply_mistake(reference, edit)
    for student, answers in OWN.items():
        out[student] = _with(reference, answers)
    return out


def _compare(notebooks, klass, threshold=similarity.DEFAULT_THRESHOLD):
    release, source, _ = notebooks
    known = similarity.known_answers(ROOT / "source" / ASSIGNMENT, _json(source))
    return similarity.compare(ASSIGNMENT, _json(release), _json(source),
                              {s: _json(nb) for s, nb in klass.items()}, threshold, known)


def test_independent_answers_are_not_flagged(notebooks, klass):
    report = _compare(notebooks, klass)
    assert report.submissions == len(klass)
    assert [(p.exercise, p.a.student, p.b.student) for p in report.pairs] == []
    # the typical mistake that is a syntax error is listed, and compared on nothing else
    broken = [m.student for m in MISTAKES[ASSIGNMENT] if m.name.endswith("syntax-error")]
    assert broken and all(s in report.unparsed.get("step", []) for s in broken)


def test_planted_copies_are_flagged_on_every_exercise(notebooks, klass):
    report = _compare(notebooks, {**klass, "copier": _with(klass["reference"], COPIED)})
    flagged = {(p.exercise, p.a.student, p.b.student) for p in report.pairs}
    assert flagged == {(ex, "alice", "copier") for ex in EXERCISES}, \
        similarity.format_text(report)
    for pair in report.pairs:
        assert pair.similarity >= similarity.DEFAULT_THRESHOLD
        assert pair.shared >= similarity.MIN_SHARED


def test_copy_of_a_copy_chain_and_a_partial_copy(notebooks, klass):
    """A partial copy (alice's fit with one line of its own) scores less than a whole one
    and is found at a lower threshold; the index only compared pairs that share something."""
    partial = dict(COPIED, fit_least_squares=COPIED["fit_least_squares"].replace(
        "    rows = X.shape[0]\n", "    rows = len(X)\n"))
    report = _compare(notebooks, {**klass, "copier": _with(klass["reference"], partial)}, 0.5)
    fit = {p.exercise: p for p in report.pairs if "copier" in (p.a.student, p.b.student)}
    assert 0.5 <= fit["fit_least_squares"].similarity < 1.0
    assert fit["xor_relu_net"].similarity == 1.0
    exercises = len(report.exercises)
    assert report.candidates < exercises * len(klass) * (len(klass) - 1) / 2 / 10


def test_a_short_answer_the_whole_class_writes_flags_no_one(notebooks, klass):
    """Twelve students write the same one-liner that is not the reference's: nothing to see."""
    common = {f"student{i:02d}": _with(klass["reference"],
                                        {"linear_layer": "    return np.dot(X, W) + b\n"})
              for i in range(12)}
    report = _compare(notebooks, {**klass, **common})
    assert report.pairs == []
    # so is the same longer answer handed in by a whole class
    longer = {s: _with(klass["reference"], {"fit_least_squares": OWN["bob"]["fit_least_squares"]})
              for s in common}
    assert _compare(notebooks, {**klass, **longer}).pairs == []


def test_two_copies_of_the_reference_are_no_evidence(notebooks, klass):
    report = _compare(notebooks, {**klass, "reference-again": klass["reference"]})
    assert report.pairs == []


def test_broken_submissions_are_listed_never_a_crash(notebooks, klass):
    release, source, reference = notebooks
    bad = _with(reference, {"xor_relu_net": "    return (((\n"})
    odd = _json(reference)
    odd["cells"] = [None, {"cell_type": "code", "metadata": {"nbgrader": "x"}},
                    {"cell_type": "code", "metadata": [1]}, {"cell_type": "code"}, *odd["cells"]]
    report = similarity.compare(ASSIGNMENT, _json(release), _json(source),
                                {"bad": _json(bad), "odd": odd, "gone": "not JSON: ...",
                                 "no cells": {"cells": 3}, "alice": _json(klass["alice"])})
    assert report.unparsed == {"xor_relu_net": ["bad"]}
    assert report.unreadable == {"gone": "not JSON: ..."}
    assert "bad" in similarity.format_text(report)


def test_html_section_escapes_student_text(notebooks, klass):
    hostile = "<img src=x onerror=alert(1)>"
    body = OWN["alice"]["xor_relu_net"].replace("hidden[:, 0]", f"hidden[:, 0] * len('{hostile}')")
    students = {hostile: _with(klass["reference"], {"xor_relu_net": body}),
                "alice": _with(klass["reference"], {"xor_relu_net": body})}
    report = _compare(notebooks, students)
    assert len(report.pairs) == 1
    page = similarity.html_section(report)
    assert hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    rows = similarity.side_by_side(report.pairs[0])
    assert [mark for _, mark, _ in rows] == ["=", "="]


def test_diff_aligns_renamed_lines(notebooks, klass):
    report = _compare(notebooks, {"alice": klass["alice"],
                                  "copier": _with(klass["reference"], COPIED)})
    pair = next(p for p in report.pairs if p.exercise == "xor_relu_net")
    rows = similarity.side_by_side(pair)
    # the statements, as written (a comment on a line of its own is no statement), side by
    # side and marked the same after normalisation
    assert rows == [
        ("hidden = np.maximum(0.0, X.sum(axis=1, keepdims=True) - np.array([[0.0, 1.0]]))",
         "=", "H = np.maximum(0., X.sum(axis=1, keepdims=True) - np.array([[0e0, 1e0]]))"),
        ("return hidden[:, 0] - 2.0 * hidden[:, 1]", "=",
         "return H[:, 0] - 2. * H[:, 1]  # output layer")]
    fit = next(p for p in report.pairs if p.exercise == "fit_least_squares")
    marks = [mark for _, mark, _ in similarity.side_by_side(fit)]
    # alice's last two assignments come in the other order: one aligned, one moved
    assert marks.count("=") >= 4 and marks.count("^") == 2 and set(marks) <= {"=", "^"}


@pytest.fixture(scope="module")
def course(tmp_path_factory, klass):
    """A course folder holding 01's source and release, and the class plus the copier."""
    root = tmp_path_factory.mktemp("similarity")
    for kind in ("source", "release"):
        shutil.copytree(ROOT / kind / ASSIGNMENT, root / kind / ASSIGNMENT)
    submissions.submit(root, ASSIGNMENT, {**klass, "copier": _with(klass["reference"], COPIED)})
    (root / "submitted" / "torn" / ASSIGNMENT).mkdir(parents=True)
    (root / "submitted" / "torn" / NAME).write_text('{"cells": [')
    return root


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course.grader", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def test_cli_lists_the_pairs_with_a_diff(course):
    proc = _cli("similarity", ASSIGNMENT, "--root", str(course))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"3 pairs at or above {similarity.DEFAULT_THRESHOLD:g}" in out
    for ex in EXERCISES:
        assert f"{ex}: alice and copier: similarity" in out
    assert "H[:, 0] - 2. * H[:, 1]" in out and "hidden[:, 0] - 2.0 * hidden[:, 1]" in out
    assert "torn: not compared: cannot read" in out


def test_cli_refuses_a_bad_threshold_or_assignment(course):
    proc = _cli("similarity", ASSIGNMENT, "--root", str(course), "--threshold", "2")
    assert proc.returncode == 2 and "between 0 and 1" in proc.stderr
    proc = _cli("similarity", "99-none", "--root", str(course))
    assert proc.returncode == 2 and "no source notebook" in proc.stderr


def test_benchmark_prints_its_figures():
    proc = _cli("bench", "similarity", "--students", "12", "--assignment", ASSIGNMENT)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"12 submissions of 01-linearity-xor", proc.stdout), proc.stdout
    assert re.search(r"compared in +\d+\.\d+ s", proc.stdout), proc.stdout
    assert re.search(r"planted copies found: +\d+ of \d+", proc.stdout), proc.stdout


def test_report_section(course):
    """The class report's section (as the report writes it) lists the pairs."""
    report = similarity.compare_course(course, ASSIGNMENT)
    page = similarity.html_section(report)
    assert page.count("<details class=\"pair\">") == 3
    assert Path(course / "submitted" / "torn").is_dir() and "torn" in page
