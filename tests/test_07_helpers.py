"""The helpers of 07-perceptron: separable data, the mistakes chart, the perceptron stepper."""

import base64

import numpy as np
from matplotlib.figure import Figure

from course import data, plots, widgets


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
