"""Every assignment in source/, graded for real by nbgrader.

Parametrised over the folders of ``source/``, so a new notebook is covered the
moment it lands, together with the typical mistakes and the correct variants of its
``mistakes.py``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import nbformat
import pytest
from conftest import ASSIGNMENTS, MISTAKES, ROOT, VARIANTS, notebook_path

from course import plots, widgets
from course.grader import cells

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS",
                    "### END HIDDEN TESTS")


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _read(kind: str, assignment: str):
    return nbformat.read(str(notebook_path(ROOT / kind, assignment)), as_version=4)


def _full(entry: dict) -> bool:
    """Did this submission earn every autograded point?"""
    return all(score == top for score, top in entry["cells"].values())


def _hidden_regions(nb) -> list[str]:
    return [m.group(1) for c in nb.cells for m in re.finditer(
        r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", c.source, re.S)]


class AssignmentTests:
    """The tests of one assignment. A subclass per folder of ``source/`` (made at the end of
    this file) sets ``ASSIGNMENT``; pytest-xdist (``--dist loadscope``) keeps a class on one
    worker, so each assignment is autograded once."""

    ASSIGNMENT = ""

    @pytest.fixture
    def assignment(self) -> str:
        return self.ASSIGNMENT

    # -- grading ---------------------------------------------------------------------------------


    def test_reference_scores_full_marks(self, graded, assignment):
        """Every autograded point; its written answers (the model answers) wait for a person."""
        run = graded[assignment]
        ref = run.scores["reference"]
        assert ref["max_score"] > 0
        assert _full(ref), f"the reference solution lost points:\n{run.why('reference')}"
        assert ref["to_grade"] == sorted(cells.written(_read("source", assignment)))
        assert ref["score"] == ref["max_score"] - sum(top for _, top in ref["written"].values())


    def test_figures_are_text_when_the_grader_draws_none(self, graded, assignment):
        """The suite grades with ``draw_figures=False``: in the sandboxed kernel, matplotlib's
        figures and the course's widgets are then one line of text, and no picture is made."""
        run = graded[assignment]
        nb = nbformat.read(str(notebook_path(run.root / "autograded" / "reference", assignment)), 4)
        shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "data" in o]
        assert not [o for o in shown if set(o.data) - {"text/plain"}], "a picture was drawn"
        texts = [o.data["text/plain"] for o in shown]
        assert any(t.startswith("<Figure size") or t == widgets.NOT_DRAWN for t in texts), texts


    def test_blank_release_scores_zero(self, graded, assignment):
        run = graded[assignment]
        blank = run.scores["blank"]
        passing = [cell for cell, (score, _) in blank["cells"].items() if score > 0]
        assert blank["score"] == 0, f"the untouched release earned points in {passing}"
        # an untouched written answer is nbgrader's "No response": 0, nothing left to grade
        assert blank["to_grade"] == []
        assert all(score == 0 for score, _ in blank["written"].values())
        # and the blank submission did not stop the run: everyone else was graded too
        assert set(run.scores) == ({"reference", "blank"}
                                   | {m.student for m in MISTAKES[assignment]}
                                   | {v.student for v in VARIANTS[assignment]})


    def test_correct_variant_scores_full_marks(self, graded, assignment, variant):
        """An answer that follows the docstring another way than the reference loses nothing."""
        run = graded[assignment]
        scores = run.scores[variant.student]
        assert scores["max_score"] > 0
        assert _full(scores), (
            f"the correct variant {variant.name!r} of {variant.function} ({variant.why}) lost "
            f"points:\n{run.why(variant.student)}")


    def test_typical_mistake_loses_points_on_its_own_exercise_only(self, graded, assignment,
                                                                   mistake):
        run = graded[assignment]
        cells = run.scores[mistake.student]["cells"]
        own = set(run.exercises[mistake.function]["tests"])
        lost = {cell for cell, (score, out_of) in cells.items() if score < out_of}
        assert lost & own, (f"mistake {mistake.name!r} ({mistake.why}) was not caught by any test "
                            f"of {mistake.function}")
        assert not lost - own, (f"mistake {mistake.name!r} in {mistake.function} also lost "
                                f"points in {sorted(lost - own)}:\n{run.why(mistake.student)}")


    def test_typical_mistake_is_recognised_as_itself(self, graded, assignment, mistake):
        """The grader names the mistake from how the student's code behaved in the hidden
        tests (its calls replayed on every mistake of the function), and only on the exercise
        it broke. Where the tests' calls cannot tell two mistakes apart, both are named."""
        verdicts = graded[assignment].misconceptions(mistake.student)
        assert set(verdicts) == {mistake.function}, verdicts
        verdict = verdicts[mistake.function]
        assert verdict["status"] == "recognised" and mistake.name in verdict["mistakes"], (
            f"mistake {mistake.name!r} of {mistake.function} ({mistake.why}) was not recognised "
            f"as itself: {verdict}")

    def test_correct_answers_name_no_mistake_and_blank_is_not_attempted(self, graded,
                                                                      assignment):
        run = graded[assignment]
        for student in ["reference", *(v.student for v in VARIANTS[assignment])]:
            assert run.misconceptions(student) == {}, student
        blank = run.misconceptions("blank")
        assert set(blank) == set(run.exercises)
        assert {v["status"] for v in blank.values()} == {"not attempted"}, blank
        assert all(v["mistakes"] == [] for v in blank.values())

    def test_failure_messages_teach(self, graded, assignment, mistake):
        """A failing test cell explains itself: no bare AssertionError, no empty message."""
        run = graded[assignment]
        run.why(mistake.student)
        for cell, reason in run.failures[mistake.student].items():
            name, _, message = reason.partition(": ")
            assert name != "AssertionError" or message, f"{cell} failed with a bare AssertionError"
            if name == "CheckFailure":
                assert len(message) > 20, f"{cell}: message too short to teach: {message!r}"


    # -- structure of the notebooks --------------------------------------------------------------


    def test_every_exercise_has_public_and_hidden_tests_and_mistakes(self, assignment):
        nb = _read("source", assignment)
        exercises = cells.exercises(nb)
        assert exercises, "no solution cells"
        by_id = {_meta(c).get("grade_id"): (i, c) for i, c in enumerate(nb.cells)}
        mistaken = {m.function for m in MISTAKES[assignment]}
        for fn, ex in exercises.items():
            tests = [by_id[g][1] for g in ex["tests"]]
            public = [c for c in tests if "BEGIN HIDDEN TESTS" not in c.source]
            hidden = [c for c in tests if "BEGIN HIDDEN TESTS" in c.source]
            assert public and hidden, f"{fn} needs a public and a hidden test cell"
            sol_index = by_id[fn][0]
            nxt = nb.cells[sol_index + 1]
            assert nxt in public, f"the cell right after {fn}'s solution must be its public test"
            for c in tests:
                assert c.source.lstrip().startswith('"""Check'), (
                    f"{_meta(c)['grade_id']} must open with a docstring 'Check ...'")
                assert _meta(c).get("points", 0) > 0
            assert fn in mistaken, f"{fn} has no typical mistake in source/{assignment}/mistakes.py"


    def test_points_total_is_stated_in_the_intro(self, assignment):
        nb = _read("source", assignment)
        total = sum(ex["points"] for ex in cells.exercises(nb).values())
        total += sum(w["points"] for w in cells.written(nb).values())
        intro = nb.cells[0].source
        assert f"**{total:g}**" in intro, f"the intro must state the total, **{total:g}** points"


    def test_written_questions_ask_and_keep_their_model_answers(self, assignment):
        """At least three written questions, each a question cell then an answer cell that a
        person grades, with a model answer in source/ and nbgrader's stub in release/."""
        source, release = _read("source", assignment), _read("release", assignment)
        written = cells.written(source)
        assert len(written) >= 3, f"{assignment} has {len(written)} written questions, not 3"
        released = cells.written(release)
        assert list(released) == list(written)
        ids = [_meta(c).get("grade_id") for c in source.cells]
        for gid, w in written.items():
            question = source.cells[ids.index(gid) - 1].source
            assert gid.startswith("written_"), gid
            assert f"(written, {w['points']:g} points)" in question.splitlines()[0], (
                f"{gid}: the question cell before the answer must be headed '### Question: "
                f"<title> (written, {w['points']:g} points)'")
            body = question.split("\n", 1)[1] if "\n" in question else ""
            assert len(body.split()) >= 12, f"{gid}: the question cell below its title is empty"
            assert len(w["answer"].split()) >= 25, f"{gid}: the model answer is too short"
            assert released[gid]["answer"].strip() == "YOUR ANSWER HERE"
            assert w["answer"].strip() not in "\n".join(c.source for c in release.cells)

    def test_notebook_draws_a_diagram(self, assignment):
        """At least one picture of a model or an idea, drawn by a diagram of course.plots."""
        code = "\n".join(c.source for c in _read("release", assignment).cells
                         if c.cell_type == "code")
        drawn = [name for name in plots.DIAGRAMS if f"plots.{name}(" in code]
        assert drawn, f"{assignment} calls none of course.plots.DIAGRAMS {plots.DIAGRAMS}"

    def test_hints_are_staged_and_name_exercises(self, assignment):
        """One sealed hints cell; each hint belongs to an exercise and goes in stages."""
        from notebook_code import hints_deck
        deck = hints_deck(_read("release", assignment))
        exercises = cells.exercises(_read("source", assignment))
        assert set(deck) <= set(exercises), f"hints for no exercise: {set(deck) - set(exercises)}"
        assert len(deck) >= 2, f"{assignment} has hints for {len(deck)} exercise(s)"
        for name, stages in deck.items():
            assert len(stages) >= 2, f"{name}: one hint is no staging (idea, then formula)"

    @pytest.mark.parametrize("kind", ["source", "release"])
    def test_no_outputs_committed(self, assignment, kind):
        nb = _read(kind, assignment)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (
                    f"{kind}/{assignment}: cell {cell.id} has outputs or an execution count")
        assert "widgets" not in nb.metadata, f"{kind}/{assignment} stores widget state"


    def test_release_is_what_nbgrader_generates(self, graded, assignment):
        generated_root = graded[assignment].root / "release"
        fresh = nbformat.read(str(notebook_path(generated_root, assignment)), 4)
        committed = _read("release", assignment)

        def cells(nb):
            return [(c.cell_type, c.get("id"), c.source, _meta(c)) for c in nb.cells]

        assert cells(committed) == cells(fresh), (
            f"release/{assignment} is stale: run "
            f"`nbgrader generate_assignment {assignment} --force`")
        released = sorted(p.name for p in (ROOT / "release" / assignment).iterdir())
        generated = sorted(p.name for p in (generated_root / assignment).iterdir())
        assert released == generated


    def test_release_holds_no_solution_or_hidden_test(self, assignment):
        release = _read("release", assignment)
        source = _read("source", assignment)
        text = "\n".join(c.source for c in release.cells)
        for marker in SOLUTION_MARKERS:
            assert marker not in text
        secret = [cells.strip_solution(c.source) for c in source.cells
                  if _meta(c).get("solution") and "### BEGIN SOLUTION" in c.source]
        secret_lines = set()
        for block in secret:
            region = block.split('"""')[-1]  # after the docstring: the student's lines
            secret_lines |= {ln.strip() for ln in region.splitlines() if len(ln.strip()) > 12}
        for region in _hidden_regions(source):
            secret_lines |= {ln.strip() for ln in region.splitlines() if len(ln.strip()) > 30}
        public = "\n".join(re.sub(r"### BEGIN (SOLUTION|HIDDEN TESTS).*?### END \1", "", c.source,
                                  flags=re.S) for c in source.cells)
        secret_lines -= {ln.strip() for ln in public.splitlines()}  # shown on purpose elsewhere
        release_lines = {ln.strip() for ln in text.splitlines()}
        leaked = sorted(secret_lines & release_lines)
        assert not leaked, f"solution or hidden-test lines in release/{assignment}: {leaked[:5]}"
        assert not (ROOT / "release" / assignment / "mistakes.py").exists()


    def test_source_runs_headless_without_errors_or_warnings(self, assignment, tmp_path):
        """Run the instructor notebook top to bottom as nbgrader would, then probe its namespace."""
        from nbclient import NotebookClient

        nb = _read("source", assignment)
        hidden_names = set()
        for region in _hidden_regions(nb):
            for node in ast.parse(region).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    hidden_names.add(node.name)
                elif isinstance(node, ast.Assign):
                    hidden_names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        probe = nbformat.v4.new_code_cell("print(sorted(globals()))")
        nb.cells.append(probe)
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        for cell in nb.cells[:-1]:
            for out in cell.get("outputs", []):
                assert out.output_type != "error", (
                    f"cell {cell.id} raised {out.ename}: {out.evalue}")
                assert not (out.output_type == "stream" and out.name == "stderr"), (
                    f"cell {cell.id} wrote to stderr (a graded cell would score 0): "
                    f"{out.text[:500]}")
        names = set(ast.literal_eval(probe.outputs[0].text))
        left = hidden_names & names
        assert not left, f"hidden tests leave {sorted(left)} in the student's namespace"


    def test_contract_check_passes(self, assignment):
        tool = ROOT.parent / "shared" / "tools" / "contract_check.py"
        if not tool.is_file():
            pytest.skip(f"{tool} is not beside the project")
        proc = subprocess.run([sys.executable, str(tool), ".", assignment], cwd=ROOT,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def pytest_generate_tests(metafunc):
    """Each assignment class runs the mistake tests once per mistake of its mistakes.py, and
    the variant test once per correct variant (skipped where there is none)."""
    if "mistake" in metafunc.fixturenames:
        mistakes = MISTAKES[metafunc.cls.ASSIGNMENT]
        metafunc.parametrize("mistake", mistakes, ids=[m.name for m in mistakes])
    if "variant" in metafunc.fixturenames:
        variants = VARIANTS[metafunc.cls.ASSIGNMENT]
        metafunc.parametrize("variant", variants, ids=[v.name for v in variants])


for _assignment in ASSIGNMENTS:
    _name = "Test_" + _assignment.replace("-", "_")
    globals()[_name] = type(_name, (AssignmentTests,), {"ASSIGNMENT": _assignment})
