"""Data sets, drawings and widgets behave without a browser."""

import base64
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

from course import data, plots, widgets


@pytest.mark.parametrize(
    ("make", "classes"),
    [(lambda r: data.blobs(90, r, k=3), 3), (lambda r: data.circles(80, r), 2),
     (lambda r: data.two_spirals(100, r), 2)],
)
def test_classification_sets_have_row_batches_balanced_labels_and_follow_rng(make, classes):
    X, y = make(np.random.default_rng(1))
    assert X.ndim == 2 and X.shape[1] == 2 and X.dtype == np.float64
    assert y.shape == (len(X),) and set(np.unique(y)) == set(range(classes))
    assert np.bincount(y).max() - np.bincount(y).min() <= 1
    X2, y2 = make(np.random.default_rng(1))
    np.testing.assert_array_equal(X, X2)
    X3, _ = make(np.random.default_rng(2))
    assert not np.allclose(X, X3)


def test_xor_is_the_lecture_table():
    X, y = data.xor()
    np.testing.assert_array_equal(X, [[1, 1], [1, 0], [0, 1], [0, 0]])
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(int))


def test_negation_sentences_are_xor_of_their_two_features():
    """One convention: a sentence's sentiment label (1 = positive) is 1 - the XOR label of its
    corner in data.xor(), and the sentences come in the order of the corners."""
    X, y = data.xor()
    for (sentence, positive), corner, xor_label in zip(data.NEGATION_SENTENCES, X, y):
        words = sentence.lower().split()
        has_not, has_un = "not" in words, any(w.startswith("un") for w in words)
        np.testing.assert_array_equal(data.negation_features(sentence), [has_not, has_un])
        np.testing.assert_array_equal(data.negation_features(sentence), corner)
        assert positive == int(has_not == has_un) == 1 - xor_label
    np.testing.assert_array_equal(data.negation_features("An UNusual  case, NOT bad"), [1, 1])
    np.testing.assert_array_equal(data.negation_features("nothing under"), [0, 1])


def test_regression_1d_is_sorted_and_seeded():
    x, y = data.regression_1d(30, np.random.default_rng(0))
    assert x.shape == y.shape == (30,)
    assert np.all(np.diff(x) >= 0)


def test_grid_covers_the_data_row_major():
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    P, extent = plots.grid(X, resolution=3, margin=0.0)
    assert extent == (0.0, 1.0, 0.0, 2.0)
    np.testing.assert_array_equal(P[:3], [[0, 0], [0.5, 0], [1, 0]])


def test_decision_boundary_colours_each_grid_point_by_its_class():
    X, y = data.xor()
    fig = Figure()
    ax = plots.decision_boundary(fig.subplots(), lambda P: (P[:, 0] > 0.5).astype(int), X, y,
                                 resolution=10, margin=0.0, n_classes=2)
    image = ax.images[0].get_array()
    assert image.shape == (10, 10)
    np.testing.assert_array_equal(image[:, :5], 0)
    np.testing.assert_array_equal(image[:, 5:], 1)
    assert len(ax.collections) == 2  # one scatter per class


def test_loss_curve_plots_the_history():
    fig = Figure()
    ax = plots.loss_curve(fig.subplots(), [3.0, 2.0, 1.5], label="train", log=True)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [3.0, 2.0, 1.5])
    assert ax.get_yscale() == "log"


def _png(bundle) -> bytes:
    return base64.b64decode(bundle["image/png"])


def test_widget_offers_live_view_and_static_png_without_warnings():
    X, y = data.xor()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = widgets.linear_classifier_explorer(X, y)
        bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert _png(bundle).startswith(b"\x89PNG")


def test_slider_change_redraws_the_picture():
    X, y = data.xor()
    view = widgets.linear_classifier_explorer(X, y)
    before, frames = view.image.value, view.frames
    view.controls["b"].value = 1.5
    assert view.frames == frames + 1
    assert view.image.value != before
    assert _png(view._repr_mimebundle_()) == view.image.value


def test_boundary_view_updates_with_a_new_model_and_loss():
    X, y = data.blobs(30, np.random.default_rng(0))
    view = widgets.BoundaryView(X, y, resolution=20)
    first = view.image.value
    view.update(lambda P: (P[:, 0] > 0).astype(int), loss=1.2, title="step 1")
    view.update(lambda P: (P[:, 1] > 0).astype(int), loss=0.9, title="step 2")
    assert view.history == [1.2, 0.9] and view.frames == 3
    assert view.image.value != first


def test_stage_morph_moves_points_between_stages():
    X, y = data.xor()
    view = widgets.stage_morph([("a", X), ("b", -X), ("c", 2 * X)], y,
                               lines={2: (np.array([1.0, 1.0]), -0.5)})
    pictures = set()
    for t in (0.0, 0.5, 1.0, 2.0):
        view.controls["t"].value = t
        pictures.add(view.image.value)
    assert len(pictures) == 4


def test_unwatched_kernel_draws_an_animation_once_when_it_is_shown(monkeypatch):
    """Under nbgrader (NBGRADER_EXECUTION set) frames nobody sees are not drawn; the picture
    shown, and kept in the graded notebook, is the last state, exactly as a watched run draws it."""
    X, y = data.blobs(30, np.random.default_rng(0))

    def train(view):
        for step in range(5):
            view.update(lambda P, s=step: (P[:, 0] > s / 10).astype(int), loss=1.0 / (step + 1))

    watched = widgets.BoundaryView(X, y, resolution=20)
    train(watched)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    drawn = []
    unwatched = widgets.BoundaryView(X, y, resolution=20)
    unwatched.render = lambda render=unwatched.render: drawn.append(1) or render()
    train(unwatched)
    assert unwatched.frames == watched.frames == 6 and drawn == []
    assert _png(unwatched._repr_mimebundle_()) == bytes(watched.image.value)
    assert len(drawn) == 1
    unwatched._repr_mimebundle_()
    assert len(drawn) == 1, "an up-to-date picture is not drawn again"


def test_a_kernel_asked_for_no_figures_draws_none(monkeypatch):
    """A grader that skips pictures (COURSE_FIGURES=off) gets a line of text, and no drawing."""
    X, y = data.blobs(30, np.random.default_rng(0))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv(widgets.FIGURES_ENV, "off")
    drawn = []
    view = widgets.BoundaryView(X, y, resolution=20)
    view.render = lambda: drawn.append(1)
    view.update(lambda P: (P[:, 0] > 0).astype(int), loss=0.5)
    assert view._repr_mimebundle_() == {"text/plain": widgets.NOT_DRAWN}
    assert drawn == []
