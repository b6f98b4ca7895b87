"""06-backprop: the graph picture, the staged hints, and no formula of the derivation in sight."""

import ast
import re

import matplotlib
import nbformat
import numpy as np
from conftest import ROOT, notebook_path
from matplotlib.figure import Figure

from course import plots
from course.grader import cells

matplotlib.use("Agg")

ASSIGNMENT = "06-backprop"
DERIVED = ("backward", "regression_net_grads")  # the exercises the student derives
WORKED = {"dU"}  # the one local gradient the prose works out in full


def _read(kind):
    return nbformat.read(str(notebook_path(ROOT / kind, ASSIGNMENT)), as_version=4)


def _hints_cell(nb):
    from notebook_code import hints_cell

    return hints_cell(nb)


def test_computational_graph_draws_every_node_with_its_shape():
    nodes = {"F": (0, 1, "(t, d)"), "H": (0, 2, "(d, v)"), "k": (1.5, 1, "(t, v)"),
             "L": (3, 1, "scalar")}
    edges = [("F", "k", "F H + b_H"), ("H", "k"), ("k", "L")]
    fig = Figure()
    ax = fig.subplots()
    assert plots.computational_graph(ax, nodes, edges, shaded=["H"], title="g") is ax
    texts = [t.get_text() for t in ax.texts]
    for name, (_, _, shape) in nodes.items():
        assert f"{name}\n{shape}" in texts
    assert "F H + b_H" in texts
    assert len(ax.patches) + len([c for c in ax.get_children()
                                  if type(c).__name__ == "Annotation"]) >= len(edges)


def test_the_notebook_draws_the_graph_of_its_forward_pass():
    from notebook_code import run_until

    ns = run_until(ASSIGNMENT, "code-11-graph")
    assert {"F", "H", "b_H", "k", "h", "U", "b_U", "z", "o", "L"} <= set(ns["graph_nodes"])
    shapes = {name: shape for name, (_, _, shape) in ns["graph_nodes"].items()}
    assert shapes["k"] == shapes["h"] == "(t, v)" and shapes["z"] == "(t, m)"
    assert shapes["U"] == "(v, m)" and shapes["H"] == "(d, v)"


def test_the_hints_cell_holds_three_staged_hints_for_each_derivation():
    from notebook_code import hints_deck

    for kind in ("source", "release"):
        nb = _read(kind)
        cell = _hints_cell(nb)
        ids = [c.id for c in nb.cells]
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        assert ids.index(cell.id) <= first_code + 2, "the hints cell sits right after the imports"
        assert "nbgrader" not in cell.metadata or not cell.metadata["nbgrader"].get("grade")
        deck = hints_deck(nb)
        for name in DERIVED:
            assert len(deck[name]) == 3, f"{name}: idea, shapes, formula"
        assert "h.T @ dz" in deck["backward"][2] and "dk" in deck["backward"][2]
        assert "-2 (y - z)" in deck["regression_net_grads"][2]
        prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert 'hints.next("backward")' in prose
        assert 'hints.next("regression_net_grads")' in prose


def _formulas() -> dict[str, str]:
    """Every gradient line of the derived exercises' solutions: {lhs: rhs}, as ast unparses."""
    nb = _read("source")
    out = {}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") not in DERIVED:
            continue
        region = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)[1]
        tree = ast.parse("def _():\n" + region)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                out[node.targets[0].id] = ast.unparse(node.value)
            elif isinstance(node, ast.Dict):
                out |= {ast.literal_eval(k): ast.unparse(v) for k, v in zip(node.keys, node.values)
                        if not isinstance(v, ast.Name)}  # {"dH": dH}: its line is above
    return {k: v for k, v in out.items() if re.search(r"[-+*/@]|\.sum\(", v)}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_no_formula_of_the_derivation_is_in_the_release_outside_the_answers():
    formulas = _formulas()
    assert {"dz", "dU", "db_U", "dh", "dk", "dH", "db_H", "delta", "gate", "dw1", "dw2"} <= set(
        formulas)
    release = _read("release")
    text = _squash("\n".join(re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", c.source,
                                    flags=re.S) for c in release.cells))
    assert _squash("h.T @ dz") in text  # the worked step is there, as promised
    for lhs, rhs in formulas.items():
        if lhs in WORKED or lhs == "z" or lhs == "a":  # forward values, given on purpose
            continue
        assert _squash(rhs) not in text, f"the release shows the formula of {lhs}: {rhs}"
    for spelled in ["(o - T) / t", "o - T", "dz @ U.T", "(k >= 0)", "F.T @ dk", "dk.sum",
                    "dz.sum", r"U^\top", r"F^\top", "-2 (y - z)", "-2(y - z)", "relu'(a)) x",
                    r"\frac{\partial J}{\partial"]:
        assert _squash(spelled) not in text, f"the release spells out {spelled!r}"


def test_the_worked_step_agrees_with_the_reference():
    """The prose's worked step, dU = h.T @ dz, is what the reference backward returns."""
    nb = _read("source")
    ns = {"np": np}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            exec(compile(cells.strip_solution(cell.source), ASSIGNMENT, "exec"), ns)  # noqa: S102
    r = np.random.default_rng(0)
    params = ns["init_params"](3, 5, 2, r, scale=1.0)
    F, y = r.normal(size=(4, 3)), r.integers(0, 2, size=4)
    _, cache = ns["forward"](params, F)
    grads, inside = __import__("course.checks", fromlist=["x"]).local_variables(
        ns["backward"], params, cache, y)
    np.testing.assert_allclose(grads["dU"], cache["h"].T @ inside["dz"])
