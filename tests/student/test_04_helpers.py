"""The drawing and widget helpers of 04-gradient-descent behave without a browser."""

import base64
import warnings

import numpy as np
from matplotlib.figure import Figure

from course import plots, widgets


def _descent(grad, w0, alpha, tol=1e-12, max_iter=100):
    w = np.array(w0, dtype=float)
    history = [w]
    for _ in range(max_iter):
        w = w - alpha * np.asarray(grad(w), dtype=float)
        history.append(w)
    return w, history


def _problems():
    return [
        ("parabola", lambda x: float(x**2), lambda x: 2 * x, 4.0, (-6.0, 6.0)),
        ("bowl", lambda w: float(0.5 * w[0] ** 2 + 2 * w[1] ** 2),
         lambda w: np.array([w[0], 4 * w[1]]), np.array([-3.0, 1.0]), (-4.0, 4.0, -2.0, 2.0)),
    ]


def test_descent_path_draws_the_iterates_in_one_and_two_dimensions():
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    (_, loss1, grad1, w1, ext1), (_, loss2, grad2, w2, ext2) = _problems()
    _, hist1 = _descent(grad1, w1, 0.25, max_iter=3)
    plots.descent_path(ax1, loss1, hist1, extent=ext1, title="one")
    iterates = [line for line in ax1.lines if len(line.get_xdata()) == 4]
    np.testing.assert_allclose(iterates[0].get_xdata(), [4.0, 2.0, 1.0, 0.5])
    assert ax1.get_xlim() == ext1 and ax1.get_title() == "one"
    _, hist2 = _descent(grad2, w2, 0.1, max_iter=5)
    plots.descent_path(ax2, loss2, hist2, extent=ext2)
    path = ax2.lines[0]
    np.testing.assert_allclose(path.get_xdata(), np.asarray(hist2)[:, 0])
    np.testing.assert_allclose(path.get_ydata(), np.asarray(hist2)[:, 1])
    assert ax2.collections  # the contour lines and the start


def test_step_size_explorer_redraws_and_tells_convergent_from_divergent():
    titles = []

    def descent(grad, w0, alpha, max_iter):
        titles.append(alpha)
        return _descent(grad, w0, alpha, max_iter=max_iter)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = widgets.step_size_explorer(descent, _problems(), alpha=0.25, max_steps=10)
        bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert any(isinstance(c, widgets.W.Play) for c in view.children[0].children)
    before = view.image.value
    view.controls["alpha"].value = 1.1
    assert view.image.value != before and titles[-1] == 1.1
    fig = Figure()
    view._draw(fig, alpha=1.1, steps=10)
    assert all("diverges" in ax.get_title() for ax in fig.axes)
    fig = Figure()
    view._draw(fig, alpha=0.1, steps=10)
    assert all("converges" in ax.get_title() for ax in fig.axes)


def _by_gid(ax, gid):
    return [a for a in (*ax.lines, *ax.collections) if a.get_gid() == gid]


def test_convexity_chord_draws_the_graph_the_chord_and_the_point_at_t():
    fig = Figure()
    ax = fig.subplots()
    plots.convexity_chord(ax, lambda x: x * x, -1.0, 3.0, t=0.25, title="x^2")
    (chord,) = _by_gid(ax, "chord")
    np.testing.assert_allclose(chord.get_xdata(), [-1.0, 3.0])
    np.testing.assert_allclose(chord.get_ydata(), [1.0, 9.0])
    (gap,) = _by_gid(ax, "gap")
    # the point a quarter of the way from a to b: x = 0, on the chord 3, on the graph 0
    np.testing.assert_allclose(gap.get_xdata(), [0.0, 0.0])
    np.testing.assert_allclose(gap.get_ydata(), [0.0, 3.0])
    assert "above" in gap.get_label()
    (on_chord,) = _by_gid(ax, "point-on-chord")
    np.testing.assert_allclose(on_chord.get_offsets(), [[0.0, 3.0]])
    (graph,) = _by_gid(ax, "graph")
    assert graph.get_xdata()[0] == ax.get_xlim()[0] == -2.0 and ax.get_title() == "x^2"


def test_convexity_chord_marks_a_chord_below_the_graph_and_draws_without_t():
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    plots.convexity_chord(ax1, np.sin, 0.0, np.pi, t=0.5, lo=-1.0, hi=4.0)
    (gap,) = _by_gid(ax1, "gap")
    assert "BELOW" in gap.get_label() and ax1.get_xlim() == (-1.0, 4.0)
    plots.convexity_chord(ax2, abs, -2.0, 1.0)
    assert not _by_gid(ax2, "gap") and _by_gid(ax2, "chord")


def test_convexity_chord_is_a_listed_diagram():
    assert "convexity_chord" in plots.DIAGRAMS and "convexity_chord" in plots.__all__
