"""The drawing and widget helpers of 05-softmax-cross-entropy behave without a browser."""

import base64
import warnings

import numpy as np
from matplotlib.figure import Figure

from course import plots, widgets


def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def test_probability_bars_draw_one_bar_per_class_and_outline_the_target():
    fig = Figure()
    p = np.array([0.13, 0.87, 0.0])
    ax = plots.probability_bars(fig.subplots(), p, ["cat", "car", "frog"], target=0, title="t")
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, p)
    assert ax.patches[0].get_linewidth() > ax.patches[1].get_linewidth()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "car", "frog"]


def test_softmax_explorer_shows_a_picture_and_follows_its_sliders_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = widgets.softmax_explorer(_softmax)
        bundle = view._repr_mimebundle_()
        assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
        pictures = {view.image.value}
        view.controls["temperature"].value = 0.1
        pictures.add(view.image.value)
        view.controls["z1"].value = -10.0  # the target's probability underflows to 0
        view.controls["z2"].value = 10.0
        pictures.add(view.image.value)
        view.controls["target"].value = 2
        pictures.add(view.image.value)
    assert len(pictures) == 4


def test_a_descent_step_on_the_hinge_loss_lowers_active_wrong_scores_and_raises_the_right_one():
    """05's prose: an active hinge term has slope +1 in the wrong score, so gradient descent
    moves that score DOWN and the correct one up; inactive scores stay; the loss falls."""
    from notebook_code import run_until

    ns = run_until("05-softmax-cross-entropy", "svm-loss-grad")
    svm_loss, svm_loss_grad = ns["svm_loss"], ns["svm_loss_grad"]
    S = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])  # the lecture's scores
    y = np.array([0, 1, 2])
    step = S - 0.1 * svm_loss_grad(S, y)
    rows = np.arange(3)
    active = (S - S[rows, y][:, None] + 1.0 > 0)
    active[rows, y] = False
    assert active.any() and (~active).any()
    np.testing.assert_array_less(step[active], S[active])  # active wrong scores go down
    inactive_wrong = ~active & (np.arange(3) != y[:, None])
    assert np.all(step[inactive_wrong] == S[inactive_wrong])  # inactive wrong scores stay
    has_active = active.any(axis=1)
    np.testing.assert_array_less(S[rows, y][has_active], step[rows, y][has_active])  # right: up
    assert svm_loss(step, y) < svm_loss(S, y)


# -- issue 19: derive, don't transcribe ---------------------------------------------------------

DERIVATIONS = {  # exercise -> spellings of its result, which only its last hint may hold
    "jacobian_diagonal": ["o_i(1-o_i)", "o*(1-o)"],
    "jacobian_off_diagonal": ["-o_io_j", "-o[i]*o[j]"],
    "softmax_jacobian": ["diag(o)-outer(o,o)", "o_i(delta_ij-o_j)"],
    "cross_entropy_grad_one": ["o-T", "g[y]-=1"],
    "cross_entropy_grad": ["(softmax(z)-one_hot(y,m))/t", "(o-T)/t"],
    "svm_loss_grad": ["-(numberofactivewrongclasses)", "dS[n,j]=1/t"],
}
# other spellings of the same results that nothing a student reads unasked may hold
ALSO_FORBIDDEN = ["o_i(\\delta_{ij}-o_j)", "\\operatorname{diag}(o)-o\\,o^\\top", "np.outer(o,o)",
                  "softmax(z)-one_hot(y)", "o-e_y", "(thenumberofactivewrongclasses)"]


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _hints_cell(kind: str):
    import ast

    import nbformat
    from conftest import ROOT, notebook_path

    nb = nbformat.read(str(notebook_path(ROOT / kind, "05-softmax-cross-entropy")), 4)
    cells = [c for c in nb.cells
             if c.cell_type == "code" and c.source.lstrip().startswith("hints.load(")]
    assert len(cells) == 1, f"{kind}: 05 needs exactly one hints.load cell"
    call = ast.parse(cells[0].source).body[0].value
    return nb, cells[0], ast.literal_eval(call.args[0])


def test_05_every_derivation_has_three_staged_hints_and_the_formula_only_in_the_last():
    from course import hints

    nb, cell, text = _hints_cell("source")
    assert _hints_cell("release")[2] == text
    deck = hints.unseal(text)
    assert set(DERIVATIONS) <= set(deck)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert nb.cells.index(cell) <= first_code + 2, "the hints cell sits near the top"
    assert not cell.metadata.get("nbgrader", {}).get("grade")
    assert any("hints.next(" in c.source for c in nb.cells if c.cell_type == "markdown")
    for name, formulas in DERIVATIONS.items():
        stages = deck[name]
        assert len(stages) == 3, f"{name}: the idea, the shapes, the formula"
        for formula in formulas:
            assert formula in _squeeze(stages[-1]), f"{name}: the formula hint lacks {formula!r}"
            assert not any(formula in _squeeze(s) for s in stages[:-1]), (
                f"{name}: {formula!r} shows before the last hint")


def test_05_release_states_no_result_the_student_derives():
    import nbformat
    from conftest import ROOT, notebook_path

    nb, cell, _ = _hints_cell("release")
    text = _squeeze("\n".join(c.source for c in nb.cells if c is not cell))
    for formula in [f for fs in DERIVATIONS.values() for f in fs] + ALSO_FORBIDDEN:
        assert formula not in text, f"release/05 states {formula!r}: the student derives it"
    # the graded step functions exist in the source, each with a solution cell
    source = nbformat.read(str(notebook_path(ROOT / "source", "05-softmax-cross-entropy")), 4)
    ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells}
    assert {"jacobian_diagonal", "jacobian_off_diagonal", "cross_entropy_grad_one"} <= ids
