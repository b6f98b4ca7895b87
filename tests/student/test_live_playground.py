"""The live playground (course.live), headless: what the kernel sends, what it does with what
the browser sends, the fall-back to kernel-drawn frames, the static picture.

The network functions are the plain implementation of notebook 06's contract written for
tests/test_playground.py (the course package implements none of them); spies check that the
widget trains with exactly the functions it was given. ``_browser_o`` plays the browser: it
evaluates the contract's network on probe points from the buffers the kernel sent, as
``course/static/live.js`` does.
"""

from __future__ import annotations

import base64
import warnings

import numpy as np
import pytest
from test_playground import Spy, _backward, _forward, _init_params, _sgd_step

from course import live, widgets


def _make(**options):
    spies = [Spy(f) for f in (_init_params, _forward, _backward, _sgd_step)]
    options = {"n": 60, "n_test": 30, "strip_steps": (0, 20, 60), **options}
    widget = live.live_playground(*spies, **options)
    sent: list[tuple[dict, list]] = []
    widget.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    return widget, spies, sent


def _message(widget, content, buffers=()):
    widget._handle_custom_msg(content, list(buffers))


def _params_from(content: dict, buffers: list) -> dict:
    """The parameters a ``params`` message carries, decoded as the browser decodes them."""
    assert content["type"] == "params", content
    return {key: np.frombuffer(bytes(buf), dtype="<f8").reshape(shape)
            for key, shape, buf in zip(content["keys"], content["shapes"], buffers)}


def _browser_o(params: dict, F: np.ndarray) -> np.ndarray:
    """The contract's network, as the browser evaluates it."""
    if "W" in params:
        z = F @ params["W"] + params["b"]
    else:
        h = np.maximum(F @ params["H"] + params["b_H"], 0.0)
        z = h @ params["U"] + params["b_U"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _probe(widget, content, buffers, points=None, o=None):
    points = np.random.default_rng(1).uniform(-1.2, 1.2, (25, 2)) if points is None else points
    if o is None:
        o = _browser_o(_params_from(content, buffers), live.feature_map(points, widget.features))
    _message(widget, {"type": "probe", "version": content["version"]},
             [points.astype("<f8").tobytes(), np.asarray(o, dtype="<f8").tobytes()])


def _png(data: bytes) -> bool:
    return bytes(data[:8]) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", live.DATASETS)
def test_data_sets_lie_in_the_plane_and_follow_the_seed(name):
    X, y = live.dataset(name, 90, 0.1, np.random.default_rng(3))
    assert X.shape == (90, 2) and y.shape == (90,)
    lo, hi = live.EXTENT[0], live.EXTENT[1]
    assert lo < X.min() and X.max() < hi, f"{name}: points outside the drawn plane"
    assert set(np.unique(y)) == ({0, 1, 2} if "multiclass" in name else {0, 1})
    X2, _ = live.dataset(name, 90, 0.1, np.random.default_rng(3))
    np.testing.assert_array_equal(X, X2)
    X3, _ = live.dataset(name, 90, 0.0, np.random.default_rng(3))
    assert not np.allclose(X, X3), f"{name}: the noise control changes nothing"


def test_feature_map_columns_in_the_order_asked():
    X = np.array([[0.5, -0.25], [1.0, 2.0]])
    F = live.feature_map(X, ["x2", "x1 x2", "x1^2", "sin(pi x1)"])
    np.testing.assert_allclose(F, [[-0.25, -0.125, 0.25, 1.0], [2.0, 2.0, 1.0, 0.0]],
                               atol=1e-15)
    with pytest.raises(ValueError, match="unknown features"):
        live.feature_map(X, ["x3"])


def test_builds_headless_silently_and_sends_only_the_parameters_as_buffers():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        widget, (init, fwd, bwd, sgd), sent = _make()
        _message(widget, {"type": "hello"})  # a view asks for the current state
    assert init.calls == 1 and sgd.calls == 0
    content, buffers = sent[-1]
    assert content["type"] == "params" and content["kind"] == "two-layer"
    assert content["reset"] and content["step"] == 0 and content["points"] == 60
    assert all(isinstance(b, bytes) for b in buffers) and len(buffers) == 4
    for name, value in _params_from(content, buffers).items():
        np.testing.assert_array_equal(value, widget.params[name], err_msg=name)
    X = np.frombuffer(widget.train_x, dtype="<f8").reshape(-1, 2)
    np.testing.assert_array_equal(X, widget.X)
    np.testing.assert_array_equal(np.frombuffer(widget.train_y, dtype="<i4"), widget.y)


def test_step_trains_one_mini_batch_with_the_students_functions():
    widget, (init, fwd, bwd, sgd), sent = _make(batch_size=10)
    before = {k: v.copy() for k, v in widget.params.items()}
    fwd_before = fwd.calls
    _message(widget, {"type": "step"})
    assert widget.step_count == 1 and (bwd.calls, sgd.calls) == (1, 1)
    assert fwd.calls == fwd_before + 2  # the mini-batch, then the losses on every point
    assert not np.allclose(widget.params["H"], before["H"])
    content, buffers = sent[-1]
    assert content["step"] == 1 and np.isfinite(content["train_loss"])
    np.testing.assert_array_equal(_params_from(content, buffers)["H"], widget.params["H"])
    assert len(widget.history) == 2 and widget.cpu_per_step > 0


def test_ticks_train_only_while_playing_and_lower_the_loss():
    widget, _, sent = _make(dataset="Gaussian", hidden=8, lr=0.5, steps_per_update=3)
    _message(widget, {"type": "tick"})
    assert widget.step_count == 0 and sent[-1][0]["type"] == "params"  # answered, not trained
    widget.play()
    for _ in range(40):
        _message(widget, {"type": "tick"})
    assert widget.step_count == 120, "each tick should train steps_per_update = 3 steps"
    assert widget.history[-1][1] < 0.5 * widget.history[0][1]
    assert widget.accuracy > 0.9
    widget.pause()
    _message(widget, {"type": "tick"})
    assert widget.step_count == 120


def test_a_click_adds_a_training_point_and_keeps_the_network():
    widget, (init, *_), sent = _make()
    _message(widget, {"type": "step"})
    params = {k: v.copy() for k, v in widget.params.items()}
    _message(widget, {"type": "add", "x1": 0.3, "x2": -0.4, "label": 1})
    _message(widget, {"type": "add", "x1": -0.1, "x2": 0.2, "label": 7})  # clipped to m - 1
    assert len(widget.y) == 62 and widget.y[-2:].tolist() == [1, 1]
    np.testing.assert_array_equal(widget.X[-2], [0.3, -0.4])
    assert init.calls == 1
    for name, value in params.items():
        np.testing.assert_array_equal(widget.params[name], value)
    assert np.frombuffer(widget.train_x, dtype="<f8").shape == (124,)
    assert sent[-1][0]["points"] == 62


def test_reset_and_structure_controls_reinitialise_the_network():
    widget, (init, *_), sent = _make(hidden=4)
    start = {k: v.copy() for k, v in widget.params.items()}
    for _ in range(3):
        _message(widget, {"type": "step"})
    _message(widget, {"type": "reset"})
    assert widget.step_count == 0 and init.calls == 2 and sent[-1][0]["reset"]
    np.testing.assert_array_equal(widget.params["H"], start["H"])
    widget.features = ["x1", "x2", "x1^2", "x2^2", "x1 x2"]
    assert widget.params["H"].shape == (5, 4)
    widget.hidden = 6
    assert widget.params["U"].shape == (6, 2)
    widget.dataset = "3 blobs (multiclass)"
    assert widget.m == 3 and widget.n_classes == 3 and widget.params["U"].shape == (6, 3)
    widget.features = []  # at least one feature stays chosen
    assert widget.features == ["x1", "x2", "x1^2", "x2^2", "x1 x2"]


def test_the_l2_penalty_shrinks_the_weights():
    norms = {}
    for l2 in (0.0, 0.3):
        widget, _, _ = _make(dataset="XOR", hidden=8, lr=0.3, l2=l2)
        widget.play()
        for _ in range(150):
            _message(widget, {"type": "tick"})
        norms[l2] = float(np.sum(widget.params["H"] ** 2) + np.sum(widget.params["U"] ** 2))
    assert norms[0.3] < 0.7 * norms[0.0], norms


def test_probes_that_agree_keep_the_browser_drawing():
    widget, _, sent = _make(features=["x1", "x2", "x1 x2", "sin(pi x2)"])
    _message(widget, {"type": "step"})
    _probe(widget, *sent[-1])
    assert widget.probes_checked == 1
    assert widget.mode == "browser" and widget.warning == ""


def test_a_forward_that_is_not_the_browsers_network_falls_back_to_kernel_frames():
    def leaky_forward(params, F):  # a student's forward that is not the contract's network
        k = F @ params["H"] + params["b_H"]
        h = np.where(k >= 0, k, 0.1 * k)
        z = h @ params["U"] + params["b_U"]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True), {"F": F, "k": k, "h": h, "z": z, "o": e}

    widget, _, sent = _make()
    widget.forward = leaky_forward
    _message(widget, {"type": "step"})
    _probe(widget, *sent[-1])  # what the browser drew: the contract's network
    assert widget.mode == "kernel", "the browser's picture differs from forward, unnoticed"
    assert "did not match your forward" in widget.warning and "differ by up to" in widget.warning
    widget.play()
    _message(widget, {"type": "tick"})
    content, buffers = sent[-1]
    assert content["type"] == "frame" and len(buffers) == 2
    assert all(_png(b) for b in buffers), "kernel frames are the boundary and units as PNG"
    _message(widget, {"type": "reset"})
    assert widget.mode == "kernel" and sent[-1][0]["type"] == "frame"


def test_a_probe_of_an_old_version_or_garbage_is_handled():
    widget, _, sent = _make()
    _message(widget, {"type": "step"})
    content, buffers = sent[-1]
    assert widget.check_probe(10_000, [])  # unknown version: nothing to compare
    _message(widget, {"type": "probe", "version": None}, [])  # no version: ignored
    assert widget.mode == "browser" and widget.probes_checked == 0
    _message(widget, {"type": "probe", "version": content["version"]}, [b"\x00" * 5])
    assert widget.mode == "kernel" and "could not be read" in widget.warning


def test_parameters_of_another_layout_are_drawn_by_the_kernel():
    def init_tuple(d, v, m, rng, scale=0.01):
        return {"weights": scale * rng.standard_normal((d, m))}

    widget, _, sent = _make()
    widget.init_params = init_tuple
    widget.forward = lambda params, F: (_browser_o(
        {"W": params["weights"], "b": np.zeros(2)}, F), {})
    _message(widget, {"type": "reset"})
    assert widget.mode == "kernel" and "not the H, b_H, U, b_U" in widget.warning
    assert sent[-1][0]["type"] == "frame"


def test_a_linear_softmax_classifier_is_drawn_by_the_browser():
    def linear_init(d, v, m, rng, scale=0.01):
        return {"W": scale * rng.standard_normal((d, m)), "b": np.zeros(m)}

    def linear_forward(params, F):
        z = F @ params["W"] + params["b"]
        return _browser_o(params, F), {"F": F, "z": z}

    def linear_backward(params, cache, y):
        dz = _browser_o(params, cache["F"])
        dz[np.arange(len(y)), y] -= 1.0
        dz /= len(y)
        return {"dW": cache["F"].T @ dz, "db": dz.sum(axis=0)}

    def linear_step(params, grads, lr):
        return {"W": params["W"] - lr * grads["dW"], "b": params["b"] - lr * grads["db"]}

    widget = live.live_playground(linear_init, linear_forward, linear_backward, linear_step,
                                  dataset="3 blobs (multiclass)", n=60, n_test=30,
                                  hidden_control=False, lr=1.0)
    sent = []
    widget.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    widget.play()
    for _ in range(60):
        _message(widget, {"type": "tick"})
    content, buffers = sent[-1]
    assert content["kind"] == "linear" and content["keys"] == ["W", "b"]
    assert content["shapes"] == [[2, 3], [3]]
    assert widget.accuracy > 0.9
    _probe(widget, content, buffers)
    assert widget.mode == "browser"


def test_an_error_in_the_students_code_is_shown_not_raised():
    def broken_backward(params, cache, y):
        raise ValueError("shapes do not match")

    widget, _, sent = _make()
    widget.backward = broken_backward
    widget.play()
    _message(widget, {"type": "tick"})
    assert widget.step_count == 0 and not widget.playing
    assert "backward raised ValueError: shapes do not match" in widget.error
    assert sent[-1][0]["type"] == "status"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data, _ = widget._repr_mimebundle_()
    assert _png(base64.b64decode(data["image/png"]))


def test_headless_picture_is_a_strip_and_leaves_the_state_alone():
    widget, (_, fwd, _, sgd), _ = _make()
    _message(widget, {"type": "step"})
    state = (widget.step_count, len(widget.history), widget.params["H"].copy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data, _ = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert _png(base64.b64decode(data["image/png"]))
    assert sgd.calls >= 1 + 60, "the strip trains a copy up to its last snapshot"
    assert (widget.step_count, len(widget.history)) == state[:2]
    np.testing.assert_array_equal(widget.params["H"], state[2])


def test_under_nbgrader_the_picture_is_one_small_frame_without_training(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    widget, (init, fwd, bwd, sgd), _ = _make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data, _ = widget._repr_mimebundle_()
    png = base64.b64decode(data["image/png"])
    assert _png(png) and len(png) < 20_000
    assert (init.calls, bwd.calls, sgd.calls) == (1, 0, 0), "nbgrader's run must not train"


def test_the_front_end_ships_with_the_package():
    source = live.LivePlayground._esm
    text = str(source)
    assert "export default" in text and "requestAnimationFrame" in text
    assert (live.STATIC / "live.js").is_file()


def test_asked_for_no_figures_it_shows_a_line_of_text_and_draws_nothing(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv(widgets.FIGURES_ENV, "off")
    widget, (init, fwd, bwd, sgd), _ = _make()
    calls = fwd.calls
    assert widget._repr_mimebundle_() == ({"text/plain": widgets.NOT_DRAWN}, {})
    assert (fwd.calls, bwd.calls, sgd.calls) == (calls, 0, 0)
