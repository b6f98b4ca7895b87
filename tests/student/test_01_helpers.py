"""What 01's prose says about its own demos, checked on its data and the reference answers."""

import numpy as np

from course import data
from course.grader import cells


def test_the_step_sends_label_1_to_the_origin_and_label_0_to_two_corners():
    """01: after x @ W + b and step, both label-1 points are at (0, 0), the label-0 points at
    (1, 0) (from (1, 1)) and (0, 1) (from (0, 0)), and g1 + g2 = 1/2 has label 1 below it."""
    from notebook_code import run_until

    ns = run_until("01-linearity-xor", "code-20")
    X, y = ns["X_xor"], ns["y_xor"]
    G = ns["stages"][2][1]  # the picture's last stage, step(x @ W + b)
    np.testing.assert_array_equal(G[y == 1], [[0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(G[np.all(X == (1, 1), axis=1)], [[1.0, 0.0]])
    np.testing.assert_array_equal(G[np.all(X == (0, 0), axis=1)], [[0.0, 1.0]])
    below = G.sum(axis=1) < 0.5
    np.testing.assert_array_equal(below, y == 1)


def test_the_sentence_table_reads_the_xor_labels_as_negative_sentences(capsys):
    from notebook_code import run_until

    run_until("01-linearity-xor", "code-06")
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if line.startswith("It was")]
    assert len(rows) == len(data.NEGATION_SENTENCES) == 4
    for row, (sentence, sentiment) in zip(rows, data.NEGATION_SENTENCES):
        x1, x2, xor_label, printed_sentiment = (int(float(v)) for v in row[-4:])
        assert " ".join(row[:-4]) == sentence and printed_sentiment == sentiment
        assert xor_label == 1 - sentiment == int(x1 != x2)


# -- plots.network_diagram (01 and 02 draw it; later notebooks may) ----------------------------


def _circles(ax):
    from matplotlib.patches import Circle

    return [p for p in ax.patches if isinstance(p, Circle)]


def test_network_diagram_draws_one_circle_per_unit_and_every_label():
    import warnings

    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    from course import plots

    labels = ["X (t, 2)", "H (t, 2)", "y (t,)"]
    weights = ["W (2, 2)", "U (2, 1)"]
    fig = Figure()
    ax = fig.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plots.network_diagram(ax, [2, 2, 1], labels=labels, weights=weights,
                                     units=[["x1", "x2"], ["h1", "h2"], ["y"]],
                                     title="XOR") is ax
        fig.canvas.draw()
    assert len(_circles(ax)) == 5
    texts = {t.get_text() for t in ax.texts}
    assert set(labels) | set(weights) | {"x1", "x2", "h1", "h2", "y"} <= texts
    edges = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert [len(c.get_segments()) for c in edges] == [4, 2]  # every unit to every next unit
    assert ax.get_title() == "XOR"
    assert "network_diagram" in plots.DIAGRAMS and "network_diagram" in plots.__all__


def test_network_diagram_shortens_wide_layers_and_dashes_fixed_gaps():
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    from course import plots

    ax = Figure().subplots()
    plots.network_diagram(ax, [1, 38, 3, 1], max_units=6, fixed=[0])
    assert len(_circles(ax)) == 1 + 6 + 3 + 1
    assert "\u22ee" in {t.get_text() for t in ax.texts}  # the wide layer's ellipsis
    first, second = [c for c in ax.collections if isinstance(c, LineCollection)][:2]
    assert len(first.get_segments()) == 6 and len(second.get_segments()) == 18
    assert first.get_linestyle() != second.get_linestyle()  # the fixed gap is dashed


def test_network_diagram_rejects_labels_that_do_not_fit_the_layers():
    import pytest
    from matplotlib.figure import Figure

    from course import plots

    ax = Figure().subplots()
    with pytest.raises(ValueError, match="labels"):
        plots.network_diagram(ax, [2, 2, 1], labels=["X", "H"])
    with pytest.raises(ValueError, match="weight labels"):
        plots.network_diagram(ax, [2, 2, 1], weights=["W"])
    with pytest.raises(ValueError, match="units"):
        plots.network_diagram(ax, [2, 1], units=[["a"], ["b"]])
    with pytest.raises(ValueError, match="at least one"):
        plots.network_diagram(ax, [2, 0, 1])


# -- 01: hints, written questions and what the release does not state -------------------------


def _nb01(kind):
    import nbformat
    from conftest import ROOT, notebook_path

    return nbformat.read(str(notebook_path(ROOT / kind, "01-linearity-xor")), as_version=4)


def _deck(nb):
    from notebook_code import hints_deck

    return hints_deck(nb)


def test_01_hints_are_staged_for_graded_exercises_only():

    for kind in ("source", "release"):
        nb = _nb01(kind)
        deck = _deck(nb)
        assert set(deck) <= set(cells.exercises(_nb01("source")))
        assert {"compose_linear", "affine_check", "fit_least_squares"} <= set(deck)
        for name, stages in deck.items():
            assert len(stages) == 3, f"{name}: idea, shapes, formula"
        assert "b0 @ W1 + b1" in deck["compose_linear"][2]
        assert "b0 @ W1 + b1" not in deck["compose_linear"][0] + deck["compose_linear"][1]


def test_01_release_does_not_state_the_composed_layer():
    import re

    release = _nb01("release")
    text = re.sub(r"\s+", "", "\n".join(c.source for c in release.cells
                                        if not c.source.startswith("hints.load(")))
    for spelled in ["W0@W1", "b0@W1+b1", "W1@b0", "W_0W_1", "b_0W_1+b_1", "W^{(1)}W^{(0)}",
                    "W_1b_0", "w=0,b=0.5", "$w=0$and$b=0.5$"]:
        assert spelled not in text, f"the release of 01 states {spelled!r}"


def test_01_written_questions_have_model_answers_that_the_release_drops():
    source, release = _nb01("source"), _nb01("release")
    answers = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells
               if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("written_")}
    assert len(answers) >= 3
    ids = [c.id for c in source.cells]
    for cell in answers.values():
        meta = cell.metadata["nbgrader"]
        assert cell.cell_type == "markdown" and meta["grade"] and meta["solution"]
        assert meta["points"] in (2, 3) and 3 <= cell.source.count(". ") + 1
        before = source.cells[ids.index(cell.id) - 1]
        assert before.source.startswith("### Question: ") and "(written, " in before.source
    released = {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells
                if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("written_")}
    assert set(released) == set(answers)
    assert all("YOUR ANSWER HERE" in text for text in released.values())


def test_01_draws_the_xor_network_with_every_shape():
    from notebook_code import run_until

    ns = run_until("01-linearity-xor", "code-21-diagram")
    texts = {t.get_text() for t in ns["ax"].texts}
    assert {"X (t, 2)", "output (t,)", "W (2, 2), c (2,)", "w (2,)"} <= texts
    assert len(_circles(ns["ax"])) == 5
