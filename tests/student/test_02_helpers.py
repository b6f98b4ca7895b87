"""Drawings and widgets added for 02-feature-maps behave without a browser."""

import base64
import warnings

import numpy as np
from matplotlib.figure import Figure

from course import data, plots, widgets
from course.grader import cells


def _powers(x, degree):  # a stand-in for the students' polynomial_features_1d
    return np.asarray(x, dtype=float)[:, None] ** np.arange(degree + 1)


def _monomials2(X, degree):  # a stand-in for polynomial_features, d = 2 and degree <= 2 only
    cols = [np.ones(len(X)), X[:, 0], X[:, 1], X[:, 0] ** 2, X[:, 0] * X[:, 1], X[:, 1] ** 2]
    return np.stack(cols[:[1, 3, 6][degree]], axis=1)


def _lstsq(Phi, y, reg):  # a stand-in for fit_ridge
    D = Phi.shape[1]
    A = np.vstack([Phi, np.sqrt(reg) * np.eye(D)])
    return np.linalg.lstsq(A, np.concatenate([y, np.zeros(D)]), rcond=None)[0]


def test_regression_fit_draws_points_and_curve_and_clips_the_range():
    x, y = data.regression_1d(10, np.random.default_rng(0))
    fig = Figure()
    ax = plots.regression_fit(fig.subplots(), x, y, lambda xs: 1e6 * xs, x_test=x[:3],
                              y_test=y[:3], resolution=50, title="t")
    assert len(ax.collections) == 2 and len(ax.lines) == 1
    assert len(ax.lines[0].get_xdata()) == 50
    lo, hi = ax.get_ylim()
    assert hi - lo < 10 * (y.max() - y.min())  # the wild curve does not set the scale


def test_train_test_errors_marks_the_degree_on_a_log_scale():
    fig = Figure()
    ax = plots.train_test_errors(fig.subplots(), [0, 1, 2], [3.0, 2.0, 1.0], [3.0, 2.5, 4.0],
                                 mark=2)
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [3.0, 2.5, 4.0])
    assert ax.get_yscale() == "log" and len(ax.lines) == 3


def test_polynomial_fit_explorer_redraws_on_degree_and_reg_without_warnings():
    rng = np.random.default_rng(1)
    x, y = data.regression_1d(20, rng)
    xt, yt = data.regression_1d(30, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = widgets.polynomial_fit_explorer(x, y, xt, yt, _powers, _lstsq, max_degree=25,
                                               degree=3)
        first = view.image.value
        view.controls["degree"].value = 25
        view.controls["reg"].value = 1e-4
    assert view.frames == 3 and view.image.value != first
    assert base64.b64decode(view._repr_mimebundle_()["image/png"]) == view.image.value


def test_feature_boundary_explorer_separates_xor_at_degree_2():
    X, y = data.xor()
    view = widgets.feature_boundary_explorer(X, y, _monomials2, _lstsq, max_degree=2, degree=2)
    pictures = {view.image.value}
    view.controls["degree"].value = 1
    pictures.add(view.image.value)
    assert len(pictures) == 2


def test_the_notebooks_degree_37_fit_over_fits_as_its_prose_says():
    """02's over-fitting experiment, on its own data and the reference fit: as the degree grows
    the training error falls (never rises by more than rounding), the held-out error falls to
    a minimum at a moderate degree and then rises by orders of magnitude."""
    from notebook_code import run_until

    ns = run_until("02-feature-maps", "code-14")
    degrees, train, test = ns["degrees"], np.array(ns["train_err"]), np.array(ns["test_err"])
    assert list(degrees) == list(range(38))
    # training error: non-increasing in exact arithmetic; allow only rounding-sized rises
    rises = np.diff(train) / train[:-1]
    worse = np.nonzero(rises > 1e-9)[0] + 1
    assert not len(worse), f"training error rises at degrees {worse}"
    assert train[37] < train[0] / 100
    # held-out error: falls, bottoms out at a handful of degrees, then explodes
    best = int(np.argmin(test))
    assert 2 <= best <= 12, f"held-out error is lowest at degree {best}"
    assert test[best] < test[0] / 5
    assert test[37] > 1e3 * test[best] and test[37] > 1e3 * train[37]
    assert np.all(test[30:] > 10 * test[best]), "held-out error is not high at every degree >= 30"


# -- 02: held-out selection, hints, written questions, the release -----------------------------


def _nb02(kind):
    import nbformat
    from conftest import ROOT, notebook_path

    return nbformat.read(str(notebook_path(ROOT / kind, "02-feature-maps")), as_version=4)


def test_the_held_out_choice_beats_the_training_error_choice_on_the_test_split():
    """02's selection demo: the training error picks a high degree with no penalty, the
    validation split a modest one, and only the latter does well on the untouched test split."""
    from notebook_code import run_until

    ns = run_until("02-feature-maps", "code-20-select")
    final, mse, feats = ns["final"], ns["mse"], ns["polynomial_features_1d"]
    test_error = {k: mse(feats(ns["x_test"], p), w, ns["y_test"]) for k, (p, _, w) in final.items()}
    deg_train, pen_train, _ = final["training error"]
    deg_val, _, _ = final["held-out error"]
    assert deg_train > 19 and pen_train == 0.0  # threads through the 20 fitting points
    assert 2 <= deg_val <= 12
    assert test_error["held-out error"] < 2 * 0.2**2  # close to the noise level
    assert test_error["training error"] > 1e3 * test_error["held-out error"]
    assert ns["choices"]["held-out error"][2].shape == (38, 5)


def test_02_hints_are_staged_and_the_release_states_no_count_or_normal_equations():
    import re

    from notebook_code import hints_deck


    graded = set(cells.exercises(_nb02("source")))
    for kind in ("source", "release"):
        nb = _nb02(kind)
        deck = hints_deck(nb)
        assert set(deck) <= graded and {"n_polynomial_features", "select_on_held_out",
                                        "fit_ridge"} <= set(deck)
        assert all(len(stages) == 3 for stages in deck.values())
        assert "math.comb(d + degree, degree)" in deck["n_polynomial_features"][2]
    text = re.sub(r"\s+", "", "\n".join(c.source for c in _nb02("release").cells
                                        if not c.source.startswith("hints.load(")))
    for spelled in [r"\binom{d+p}", "C(d+degree,degree)", "math.comb(d+degree", "(d+p)!",
                    "Phi.T@Phi+reg", r"\Phi^\top\Phi+\text{reg}", "y/(1+reg)"]:
        assert spelled not in text, f"the release of 02 states {spelled!r}"


def test_02_written_questions_and_diagram():
    from notebook_code import run_until

    source = _nb02("source")
    written = [c for c in source.cells
               if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("written_")]
    assert len(written) >= 3 and sum(c.metadata["nbgrader"]["points"] for c in written) == 7
    ns = run_until("02-feature-maps", "code-02-diagram")
    texts = {t.get_text() for t in ns["ax"].texts}
    assert {"x (n,)", r"$\Phi$ (n, D)", "w (D,) learned"} <= texts
