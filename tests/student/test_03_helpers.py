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


def test_gradient_depth_explorer_scale_slider_rescales_the_pre_activations():
    seen = []

    def recording(g, depth, width, rng):
        seen.append(g(np.array([1.0])))
        return _norm(g, depth, width, rng)

    tanh_grad = lambda k: 1.0 - np.tanh(k) ** 2  # noqa: E731
    relu_grad = lambda k: np.where(k >= 0, 1.0, 0.0)  # noqa: E731
    view = widgets.gradient_depth_explorer(recording, {"tanh": tanh_grad}, max_depth=3, width=8)
    assert view.controls["scale"].value == 1.0 and len(seen) == 4
    np.testing.assert_allclose(seen[-1], tanh_grad(np.array([1.0])))
    first = view.image.value
    view.controls["scale"].value = 3.0
    assert len(seen) == 8 and view.image.value != first  # one new curve per new scale
    np.testing.assert_allclose(seen[-1], tanh_grad(np.array([3.0])))  # the derivative at 3 k
    view.controls["scale"].value = 1.0
    assert len(seen) == 8 and view.image.value == first  # computed once per scale

    norms = {}
    for s in (1.0, 4.0):  # ReLU's derivative depends on the sign of k only: no scale changes it
        norms[s] = _norm(lambda k, s=s: relu_grad(s * k), 20, 64, np.random.default_rng(0))
    assert norms[1.0] == norms[4.0]


def test_03_vanishing_gradient_demo_shows_saturation_only_at_a_large_scale():
    """03's prose on its own table: at scale 1 tanh keeps a good part of the gradient and the
    sigmoid loses it through its slope of at most 1/4 (as much at a tiny scale, where nothing
    saturates); at scale 3 tanh saturates and its gradient vanishes too; ReLU never changes."""
    from notebook_code import run_until

    ns = run_until("03-activations", "code-16")
    norm, at_scale = ns["input_gradient_norm"], ns["at_scale"]

    def at(name, scale, depth=20):
        g = at_scale(ns[f"{name}_grad"], scale)
        return norm(g, depth, 64, np.random.default_rng(0))

    assert at("tanh", 1.0) > 0.1 and at("tanh", 3.0) < 1e-3
    assert at("sigmoid", 1.0) < 1e-8 and at("sigmoid", 0.01) < 1e-8  # not saturation: slope 1/4
    assert at("relu", 1.0) == at("relu", 3.0) == at("relu", 0.01)
    assert 0.1 < at("relu", 1.0) < 10
