"""The helpers of 07-perceptron: separable data, the mistakes chart, the perceptron stepper."""

import base64

import numpy as np
from matplotlib.figure import Figure

from course import data, plots, widgets
from course.grader import cells


def test_linearly_separable_keeps_its_margin_and_follows_rng():
    X, y = data.linearly_separable(50, np.random.default_rng(3), margin=0.3)
    assert X.shape == (50, 2) and y.shape == (50,)
    assert set(np.unique(y)) == {-1, 1}
    distance = (X.sum(axis=1) - 4.0) / np.sqrt(2.0)
    assert np.all(np.abs(distance) >= 0.3)
    assert np.all(np.sign(distance) == y)
    X2, _ = data.linearly_separable(50, np.random.default_rng(3), margin=0.3)
    np.testing.assert_array_equal(X, X2)


def test_mistake_counts_draws_one_bar_per_epoch():
    fig = Figure()
    ax = fig.subplots()
    plots.mistake_counts(ax, [3, 1, 0], current=1, total_epochs=5, n_examples=4)
    assert len(ax.patches) == 3
    assert ax.get_ylim() == (0, 4.5)
    assert ax.patches[1].get_hatch() == "//"


def _bias(X):
    return np.column_stack([X, np.ones(len(X))])


def _grad(w, x, y):
    return -y * x if y * (w @ x) <= 0 else np.zeros(len(w))


def _predict(w, X):
    return np.where(X @ w >= 0, 1, -1)


def test_perceptron_stepper_moves_the_boundary_and_renders_headless():
    X, y = data.linearly_separable(8, np.random.default_rng(0))
    w = widgets.perceptron_stepper(X, y, features=_bias, grad=_grad, predict=_predict, epochs=3)
    slider = w.controls["step"]
    assert (slider.min, slider.max, slider.value) == (0, 24, 0)
    first = w.image.value
    slider.value = 5
    assert w.image.value != first
    bundle = w._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_perceptron_stepper_uses_the_given_gradient():
    X, y = data.linearly_separable(6, np.random.default_rng(1))
    calls = []

    def grad(w, x, label):
        calls.append(label)
        return _grad(w, x, label)

    widgets.perceptron_stepper(X, y, features=_bias, grad=grad, predict=_predict, epochs=2)
    assert len(calls) == 12


# -- issue 19: derive, don't transcribe; one versus all; weights as templates ------------------

def test_glyphs_are_noisy_copies_of_four_strokes_and_follow_rng():
    X, y = data.glyphs(12, np.random.default_rng(5))
    assert X.shape == (12, 25) and y.shape == (12,)
    np.testing.assert_array_equal(y, np.arange(12) % 4)
    assert set(np.unique(X)) <= {0.0, 1.0}
    X2, _ = data.glyphs(12, np.random.default_rng(5))
    np.testing.assert_array_equal(X, X2)
    clean, y_clean = data.glyphs(4, np.random.default_rng(0), flip=0.0)
    pictures = clean.reshape(4, 5, 5)
    assert np.all(pictures[0][:, 2] == 1) and pictures[0].sum() == 5  # |
    assert np.all(pictures[1][2, :] == 1) and pictures[1].sum() == 5  # -
    np.testing.assert_array_equal(pictures[2], np.fliplr(np.eye(5)))  # /
    np.testing.assert_array_equal(pictures[3], np.eye(5))  # \
    assert len(data.GLYPH_NAMES) == 4
    shifted, _ = data.glyphs(40, np.random.default_rng(1), flip=0.0, shift=True)
    assert np.all(shifted.reshape(40, 5, 5).sum(axis=(1, 2)) >= 4)  # moved by one pixel at most


def test_weight_templates_draws_each_column_as_an_image_without_the_bias():
    import pytest

    fig = Figure()
    ax = fig.subplots()
    W = np.arange(28, dtype=float).reshape(7, 4) - 10  # 2 x 3 pixels, 4 classes, a bias row
    plots.weight_templates(ax, W, (2, 3), ["a", "b", "c", "d"], title="t")
    image = ax.get_images()[0].get_array()
    assert image.shape == (2, 4 * 3 + 3)  # side by side, one blank column between
    np.testing.assert_array_equal(np.ma.filled(image[:, 4:7], np.nan), W[:6, 1].reshape(2, 3))
    assert image.mask[:, 3].all()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    vmin, vmax = ax.get_images()[0].get_clim()
    assert vmin == -vmax == -np.abs(W[:6]).max()
    assert "weight_templates" in plots.DIAGRAMS
    with pytest.raises(ValueError, match="at least 6 rows"):
        plots.weight_templates(fig.subplots(), np.zeros((5, 2)), (2, 3))


def test_07_hints_are_for_graded_exercises_and_hold_the_gradient_only_in_the_last_stage():


    from notebook_code import read_notebook

    nb = read_notebook("source", "07-perceptron")
    from notebook_code import hints_deck
    deck = hints_deck(nb)
    assert set(deck) <= set(cells.exercises(nb))
    assert {"perceptron_loss_grad", "one_vs_all_train"} <= set(deck)
    stages = ["".join(s.split()) for s in deck["perceptron_loss_grad"]]
    assert len(stages) == 3 and "-y*x" in stages[-1]
    assert not any("-y*x" in s for s in stages[:-1])


def test_07_release_states_no_gradient_of_the_perceptron_loss():
    from notebook_code import read_notebook

    nb = read_notebook("release", "07-perceptron")
    text = "".join("\n".join(c.source for c in nb.cells
                             if not c.source.startswith("hints.load(")).split())
    for formula in ["-y*x", "-y\\,x", "-yx", "-y*np.asarray(x", "=-y\\,", "is-y"]:
        assert formula not in text, f"release/07 states {formula!r}: the student derives it"


def test_07_one_versus_all_fails_on_blobs_in_a_row_where_the_multiclass_perceptron_does_not():
    """07's prose: the middle class against the rest never converges, the multiclass
    perceptron separates the training data, one versus all does not."""
    from notebook_code import run_until

    ns = run_until("07-perceptron", "code-ova-demo")
    Xb, y = ns["Xb_row"], ns["y_row"]
    assert ns["mistakes_mc"][-1] == 0
    assert np.mean(np.argmax(Xb @ ns["W_mc"], axis=1) == y) == 1.0
    assert np.mean(np.argmax(Xb @ ns["W_ova_row"], axis=1) == y) < 0.9
    counts = [ns["perceptron_train"](Xb, np.where(y == k, 1, -1), 20)[1] for k in range(3)]
    assert counts[0][-1] == counts[2][-1] == 0 and min(counts[1]) > 0


def test_07_templates_demo_learns_the_glyphs():
    from notebook_code import run_until

    ns = run_until("07-perceptron", "code-templates")
    Xt, yt, W = ns["X_test_glyph"], ns["y_test_glyph"], ns["W_glyph"]
    assert np.mean(np.argmax(np.column_stack([Xt, np.ones(len(Xt))]) @ W, axis=1) == yt) > 0.8
    centre = W[12]  # the pixel all four strokes share: pale in every template
    assert np.abs(centre).max() <= 0.5 * np.abs(W[:25]).max()
