"""Drawings and widgets added for 03-activations behave without a browser."""

import base64
import warnings

import numpy as np
from matplotlib.figure import Figure

from course import plots, widgets


def _norm(activation_grad, depth, width, rng):  # a stand-in for input_gradient_norm
    g = np.ones(width) / np.sqrt(width)
    for _ in range(depth):
        W = rng.standard_normal((width, width)) * np.sqrt(2.0 / width)
        g = (g * activation_grad(rng.standard_normal(width))) @ W.T
    return float(np.linalg.norm(g))


def test_activation_curve_draws_function_derivative_and_numeric_dots():
    x = np.linspace(-2, 2, 9)
    fig = Figure()
    ax = plots.activation_curve(fig.subplots(), x, np.tanh(x), 1 - np.tanh(x) ** 2,
                                (x[:3], np.ones(3)), name="tanh")
    labels = [line.get_label() for line in ax.lines]
    assert labels[-3:] == ["tanh", "tanh'", "central difference"]
    np.testing.assert_array_equal(ax.lines[-3].get_ydata(), np.tanh(x))


def test_gradient_norm_curves_one_line_per_name_on_a_log_scale():
    fig = Figure()
    ax = plots.gradient_norm_curves(fig.subplots(), [0, 1, 2],
                                    {"a": [1.0, 0.5, 0.25], "b": [1.0, 1.0, 1.0]}, mark=1)
    assert ax.get_yscale() == "log" and len(ax.lines) == 3
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [1.0, 0.5, 0.25])


def test_activation_explorer_switches_activation_without_warnings():
    acts = {"tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
            "relu": (lambda x: np.maximum(x, 0.0), lambda x: np.where(x >= 0, 1.0, 0.0))}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = widgets.activation_explorer(acts)
        first = view.image.value
        view.controls["name"].value = "relu"
    assert view.frames == 2 and view.image.value != first
    assert base64.b64decode(view._repr_mimebundle_()["image/png"]) == view.image.value


def test_gradient_depth_explorer_computes_every_depth_once_and_marks_one():
    calls = []

    def counting(g, depth, width, rng):
        calls.append(depth)
        return _norm(g, depth, width, rng)

    view = widgets.gradient_depth_explorer(counting, {"relu": lambda k: np.where(k >= 0, 1.0, 0.0),
                                                      "half": lambda k: 0.5 + 0 * k},
                                           max_depth=6, width=8, depth=2)
    assert sorted(calls) == sorted(list(range(7)) * 2)
    first = view.image.value
    view.controls["depth"].value = 5
    assert view.image.value != first and len(calls) == 14
