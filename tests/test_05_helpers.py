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
