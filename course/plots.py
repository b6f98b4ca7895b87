"""Pure plotting functions: each takes a matplotlib ``ax``, draws, and returns it.

Nothing here creates a figure or shows one, so the same drawing serves a
notebook cell, a widget redraw and a test without a browser.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.colors import ListedColormap, to_rgb

__all__ = [
    "CLASS_COLORS",
    "DIAGRAMS",
    "activation_curve",
    "decision_boundary",
    "figure_png",
    "grid",
    "gradient_norm_curves",
    "loss_curve",
    "regression_fit",
    "scatter_classes",
    "train_test_errors",
]

# The diagram functions (pictures of a model or an idea, not of data): every notebook draws
# at least one. Each diagram appended below adds its name here.
DIAGRAMS: tuple[str, ...] = ("computational_graph",)

CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
_MARKERS = ("o", "s", "^", "D", "v", "P")


def _light(color: str, amount: float = 0.7) -> tuple[float, float, float]:
    r, g, b = to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def grid(X: np.ndarray, resolution: int = 100, margin: float = 0.5,
         extent: tuple[float, float, float, float] | None = None):
    """A ``resolution`` by ``resolution`` grid of points covering ``X``.

    Returns
    -------
    points : ndarray, shape (resolution**2, 2)
        Row-major: row ``i * resolution + j`` is ``(xs[j], ys[i])``.
    extent : tuple
        ``(x_min, x_max, y_min, y_max)``, as ``imshow`` takes it.
    """
    if extent is None:
        lo = X.min(axis=0) - margin
        hi = X.max(axis=0) + margin
        extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    xs = np.linspace(extent[0], extent[1], resolution)
    ys = np.linspace(extent[2], extent[3], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return np.column_stack([xx.ravel(), yy.ravel()]), extent


def scatter_classes(ax, X: np.ndarray, y: np.ndarray, *, highlight=None, size: float = 40,
                    labels=None):
    """Scatter 2-D points coloured and shaped by class.

    ``highlight`` is an optional boolean mask or index array of points to ring
    in black (for instance the misclassified ones).
    """
    y = np.asarray(y)
    classes = np.unique(y)
    for k, c in enumerate(classes):
        sel = y == c
        name = labels[k] if labels is not None else f"class {c}"
        ax.scatter(X[sel, 0], X[sel, 1], s=size, c=CLASS_COLORS[k % len(CLASS_COLORS)],
                   marker=_MARKERS[k % len(_MARKERS)], edgecolors="white", linewidths=0.8,
                   label=name, zorder=3)
    if highlight is not None:
        Xh = X[highlight]
        ax.scatter(Xh[:, 0], Xh[:, 1], s=size * 3.5, facecolors="none", edgecolors="black",
                   linewidths=1.5, zorder=4, label="highlighted")
    return ax


def decision_boundary(ax, predict, X: np.ndarray, y: np.ndarray, *, resolution: int = 100,
                      margin: float = 0.5, extent=None, n_classes: int | None = None,
                      title: str | None = None):
    """Colour the plane by the class ``predict`` gives it, then draw the points.

    Parameters
    ----------
    ax : matplotlib Axes
    predict : callable
        ``predict(P) -> labels`` for grid points ``P`` of shape ``(N, 2)``;
        labels are integers ``0..n_classes-1`` of shape ``(N,)``.
    X : ndarray, shape (n, 2)
    y : ndarray, shape (n,)
    """
    points, extent = grid(X, resolution, margin, extent)
    labels = np.asarray(predict(points)).reshape(resolution, resolution)
    k = n_classes or int(max(np.max(y), np.max(labels)) + 1)
    cmap = ListedColormap([_light(CLASS_COLORS[i % len(CLASS_COLORS)]) for i in range(k)])
    ax.imshow(labels, origin="lower", extent=extent, cmap=cmap, vmin=-0.5, vmax=k - 0.5,
              interpolation="nearest", aspect="auto")
    scatter_classes(ax, X, y, size=70 if len(X) <= 50 else 25)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    if title:
        ax.set_title(title)
    return ax


def loss_curve(ax, history, *, label: str | None = None, log: bool = False,
               xlabel: str = "epoch", ylabel: str = "loss"):
    """Plot a sequence of losses against its index."""
    history = np.asarray(history, dtype=float)
    ax.plot(np.arange(len(history)), history, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if label:
        ax.legend()
    return ax


def figure_png(fig, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes (Agg, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# -- 02-feature-maps and 03-activations ------------------------------------------------------


def regression_fit(ax, x_train, y_train, predict, *, x_test=None, y_test=None,
                   resolution: int = 400, clip: float = 1.5, title: str | None = None):
    """Draw 1-D training (and held-out) points and the curve ``predict(xs)`` through them.

    The vertical range is the data's range widened by ``clip`` times its height,
    so a wildly oscillating high-degree fit stays readable instead of flattening
    the data into a line.

    Parameters
    ----------
    x_train, y_train : ndarray, shape (n,)
    predict : callable
        ``predict(xs) -> ys`` for ``xs`` of shape ``(resolution,)``.
    x_test, y_test : ndarray, shape (n_test,), optional
    """
    xs_all = [np.asarray(x_train, dtype=float)]
    ys_all = [np.asarray(y_train, dtype=float)]
    if x_test is not None:
        xs_all.append(np.asarray(x_test, dtype=float))
        ys_all.append(np.asarray(y_test, dtype=float))
    xs_all, ys_all = np.concatenate(xs_all), np.concatenate(ys_all)
    lo, hi = float(xs_all.min()), float(xs_all.max())
    xs = np.linspace(lo, hi, resolution)
    ys = np.asarray(predict(xs), dtype=float)
    if x_test is not None:
        ax.scatter(x_test, y_test, s=12, c="0.6", label="held-out", zorder=2)
    ax.scatter(x_train, y_train, s=30, c=CLASS_COLORS[0], edgecolors="white", linewidths=0.6,
               label="train", zorder=3)
    ax.plot(xs, ys, c=CLASS_COLORS[3], lw=2, label="fit", zorder=4)
    y_lo, y_hi = float(ys_all.min()), float(ys_all.max())
    pad = clip * (y_hi - y_lo) / 2 if y_hi > y_lo else 1.0
    ax.set_ylim(y_lo - pad, y_hi + pad)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper left", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def train_test_errors(ax, degrees, train_errors, test_errors, *, mark=None, log: bool = True,
                      xlabel: str = "degree"):
    """Training and held-out error against model complexity, optionally marking one value."""
    ax.plot(degrees, train_errors, "o-", ms=3, c=CLASS_COLORS[0], label="train")
    ax.plot(degrees, test_errors, "s-", ms=3, c=CLASS_COLORS[3], label="held-out")
    if mark is not None:
        ax.axvline(mark, color="0.5", ls="--", lw=1)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean squared error")
    ax.legend(fontsize="small")
    return ax


def activation_curve(ax, x, values, derivative=None, numeric=None, *, name: str = "f"):
    """An activation's values, its derivative and (dots) a numerical derivative, against ``x``.

    Parameters
    ----------
    x : ndarray, shape (n,)
    values, derivative : ndarray, shape (n,)
        ``f(x)`` and ``f'(x)``; ``derivative`` may be None.
    numeric : (ndarray, ndarray), optional
        Points ``(xs, slopes)`` of a finite-difference derivative, drawn as dots.
    """
    ax.axhline(0, color="0.85", zorder=0)
    ax.axvline(0, color="0.85", zorder=0)
    ax.plot(x, values, c=CLASS_COLORS[0], lw=2, label=name)
    if derivative is not None:
        ax.plot(x, derivative, c=CLASS_COLORS[3], lw=1.5, ls="--", label=f"{name}'")
    if numeric is not None:
        ax.plot(numeric[0], numeric[1], "o", ms=4, mfc="none", c="k",
                label="central difference")
    ax.set_xlabel("x")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def gradient_norm_curves(ax, depths, norms: dict, *, mark=None):
    """Gradient norms against depth, one line per name, on a log scale."""
    for k, (name, values) in enumerate(norms.items()):
        ax.plot(depths, values, "o-", ms=3, c=CLASS_COLORS[k % len(CLASS_COLORS)], label=name)
    if mark is not None:
        ax.axvline(mark, color="0.5", ls="--", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("depth (layers)")
    ax.set_ylabel("norm of the gradient at the input")
    ax.legend(fontsize="small")
    return ax


# -- 04-gradient-descent and 05-softmax-cross-entropy ----------------------------------------

__all__ += ["descent_path", "probability_bars"]


def descent_path(ax, loss, history, *, extent, levels: int = 20, title: str | None = None):
    """Draw the iterates of gradient descent on a loss of one or two variables.

    Parameters
    ----------
    ax : matplotlib Axes
    loss : callable
        ``loss(w) -> float`` for ``w`` a float (one variable) or an array of shape ``(2,)``.
    history : sequence of iterates
        Floats (or 0-d / ``(1,)`` arrays) for one variable, arrays of shape ``(2,)`` for two.
    extent : tuple
        ``(lo, hi)`` for one variable, ``(x_min, x_max, y_min, y_max)`` for two; iterates
        outside it are drawn as far as the axes reach.
    """
    path = np.asarray([np.asarray(w, dtype=float).ravel() for w in history])  # (k, 1 or 2)
    if len(extent) == 2:
        xs = np.linspace(extent[0], extent[1], 200)
        curve = np.array([float(loss(x)) for x in xs])
        ax.plot(xs, curve, color="0.3", lw=1.5, label="loss")
        x = path[:, 0]
        with np.errstate(over="ignore", invalid="ignore"):
            values = np.array([float(loss(v)) for v in x])
        ax.plot(x, values, "-", color=CLASS_COLORS[1], lw=1, alpha=0.7)
        ax.scatter(x, values, s=25, color=CLASS_COLORS[1], zorder=3, label="iterates")
        ax.scatter(x[:1], values[:1], s=60, color="black", zorder=4, label="start")
        ax.set_xlim(extent)
        top = curve.max()
        ax.set_ylim(curve.min() - 0.05 * (top - curve.min()), top)
        ax.set_xlabel("w")
        ax.set_ylabel("loss")
    else:
        P, ext = grid(None, 60, 0.0, extent)
        Z = np.array([float(loss(p)) for p in P]).reshape(60, 60)
        ax.contour(np.linspace(ext[0], ext[1], 60), np.linspace(ext[2], ext[3], 60), Z,
                   levels=levels, cmap="Greys", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], "-o", color=CLASS_COLORS[1], ms=4, lw=1,
                label="iterates")
        ax.scatter(path[:1, 0], path[:1, 1], s=60, color="black", zorder=4, label="start")
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
    if title:
        ax.set_title(title)
    return ax


def probability_bars(ax, probs, labels, *, target: int | None = None, title: str | None = None):
    """Bar chart of a probability vector, the ``target`` class's bar outlined in black."""
    probs = np.asarray(probs, dtype=float)
    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(len(probs))]
    bars = ax.bar(np.arange(len(probs)), probs, color=colors)
    if target is not None:
        bars[target].set_edgecolor("black")
        bars[target].set_linewidth(2.5)
    for i, p in enumerate(probs):
        ax.text(i, min(p, 0.92) + 0.02, f"{p:.2f}", ha="center")
    ax.set_xticks(np.arange(len(probs)), labels)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("probability")
    if title:
        ax.set_title(title)
    return ax


# -- 07-perceptron and 08-embeddings ---------------------------------------------------------

__all__ += ["embedding_map", "mistake_counts"]


def mistake_counts(ax, counts, *, current: int | None = None, total_epochs: int | None = None,
                   n_examples: int | None = None):
    """Bar chart of the perceptron's mistakes in each epoch.

    ``current`` (an epoch index) draws that bar hatched, as still in progress;
    ``total_epochs`` and ``n_examples`` fix the axes so the chart does not jump.
    """
    counts = np.asarray(counts, dtype=float)
    epochs = np.arange(1, len(counts) + 1)
    colors = [CLASS_COLORS[3] if c > 0 else CLASS_COLORS[2] for c in counts]
    bars = ax.bar(epochs, counts, color=colors, edgecolor="black", linewidth=0.5)
    if current is not None and 0 <= current < len(bars):
        bars[current].set_hatch("//")
        bars[current].set_alpha(0.6)
    if total_epochs is not None:
        ax.set_xlim(0.4, total_epochs + 0.6)
        ax.set_xticks(np.arange(1, total_epochs + 1))
    if n_examples is not None:
        ax.set_ylim(0, n_examples + 0.5)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mistakes")
    return ax


def embedding_map(ax, points: np.ndarray, words, *, groups: dict | None = None,
                  focus: str | None = None, neighbours=()):
    """Words as labelled points of a 2-D map (for instance a projection of embeddings).

    Parameters
    ----------
    points : ndarray, shape (|V|, 2)
        Row ``i`` is where word ``words[i]`` goes.
    words : sequence of str, length |V|
    groups : dict of str to list of str, optional
        Named groups of words to colour alike (with a legend); other words are grey.
    focus : str, optional
        A word to mark with a star, with a line to each word of ``neighbours``.
    """
    words = list(words)
    colour = {}
    for g, (name, members) in enumerate((groups or {}).items()):
        c = CLASS_COLORS[g % len(CLASS_COLORS)]
        ax.scatter([], [], c=c, s=30, label=name)
        for word in members:
            colour[word] = c
    where = {word: i for i, word in enumerate(words)}
    if focus is not None:
        for other in neighbours:
            a, b = points[where[focus]], points[where[other]]
            ax.plot([a[0], b[0]], [a[1], b[1]], color="black", linewidth=1, alpha=0.6, zorder=1)
        p = points[where[focus]]
        ax.scatter([p[0]], [p[1]], marker="*", s=260, c="gold", edgecolors="black", zorder=2)
    for i, word in enumerate(words):
        c = colour.get(word, "0.55")
        ax.scatter(points[i, 0], points[i, 1], c=c, s=30, zorder=3)
        weight = "bold" if word == focus or word in neighbours else "normal"
        ax.annotate(word, points[i], xytext=(4, 3), textcoords="offset points", fontsize=8,
                    color=c, fontweight=weight, zorder=4)
    if groups:
        ax.legend(loc="lower right", fontsize="small")
    return ax


# -- 06-backprop ---------------------------------------------------------------------------------

__all__ += ["computational_graph"]


def computational_graph(ax, nodes: dict, edges, *, shaded=(), title: str | None = None):
    """A computational graph: one box per node (its name and shape), one arrow per edge.

    Parameters
    ----------
    nodes : dict
        ``{name: (x, y, shape)}``: where the box goes and the shape written under its name,
        e.g. ``{"F": (0, 1, "(t, d)"), ...}``.
    edges : iterable of (str, str) or (str, str, str)
        ``(source, target)`` or ``(source, target, label)``: the label (the operation) is
        written halfway along the arrow.
    shaded : iterable of str
        Nodes drawn shaded (the parameters, say); the others are drawn plain.
    """
    shaded = set(shaded)
    for name, (x, y, shape) in nodes.items():
        is_param = name in shaded
        ax.text(x, y, f"{name}\n{shape}", ha="center", va="center", fontsize=10,
                bbox={"boxstyle": "round,pad=0.4", "fc": "#dde8f3" if is_param else "white",
                      "ec": "#1f77b4" if is_param else "black"}, zorder=3, gid=f"node-{name}")
    for edge in edges:
        a, b, label = (*edge, None) if len(edge) == 2 else edge
        (xa, ya, _), (xb, yb, _) = nodes[a], nodes[b]
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya), zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": "0.3", "shrinkA": 22,
                                "shrinkB": 22})
        if label:
            ax.text((xa + xb) / 2, (ya + yb) / 2 + 0.12, label, ha="center", va="bottom",
                    fontsize=8, color="0.25", style="italic", zorder=4)
    xs = [x for x, _, _ in nodes.values()]
    ys = [y for _, y, _ in nodes.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


# -- 01-linearity-xor and 02-feature-maps: a layered network ---------------------------------

__all__ += ["network_diagram"]
DIAGRAMS += ("network_diagram",)

# a unit's radius, the distance between layers and between units of a layer
_NET_RADIUS, _NET_DX, _NET_DY = 0.22, 2.6, 0.75


def network_diagram(ax, layer_sizes, *, labels=None, weights=None, units=None, fixed=(),
                    max_units: int = 6, title: str | None = None):
    """A layered network: one column of unit circles per layer, every unit joined to every unit
    of the next layer, the layer's name and shape below it and each weight matrix above its
    group of edges.

    Parameters
    ----------
    ax : matplotlib Axes
    layer_sizes : sequence of int, each >= 1
        Units per layer, input first (``[2, 2, 1]`` for two inputs, two hidden units, one
        output). A layer wider than ``max_units`` is drawn as ``max_units - 1`` circles, a
        vertical ellipsis, and its last unit.
    labels : sequence of str, optional
        One per layer, written below it, e.g. ``["X (t, 2)", "H (t, 2)", "y (t,)"]``.
    weights : sequence of str or None, optional
        One per gap between two layers, written above its edges, e.g. ``["W (2, 2)",
        "U (2, 1)"]``; None leaves a gap unlabelled.
    units : sequence of sequences of str, optional
        Text inside each drawn circle, one sequence per layer (as many entries as circles
        drawn: ``min(size, max_units)``).
    fixed : iterable of int
        Gaps (0 for the first) whose edges are fixed, not learned: drawn dashed and grey.
    max_units : int, >= 2

    Returns
    -------
    ax
    """
    sizes = [int(n) for n in layer_sizes]
    _check_network_arguments(sizes, labels, weights, units, max_units)
    centres = [[(k * _NET_DX, float(y)) for y in _layer_heights(size, max_units)]
               for k, size in enumerate(sizes)]
    top = max(y for layer in centres for _, y in layer)
    bottom = min(y for layer in centres for _, y in layer)
    _draw_network_gaps(ax, centres, weights, set(fixed), top)
    _draw_network_layers(ax, centres, sizes, labels, units, max_units, bottom)
    gaps = len(sizes) - 1
    ax.set_xlim(-1.0, gaps * _NET_DX + 1.0)
    ax.set_ylim(bottom - _NET_RADIUS - 0.75, top + _NET_RADIUS + 0.75)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def _check_network_arguments(sizes: list[int], labels, weights, units, max_units: int) -> None:
    """Raise a ``ValueError`` saying which argument of :func:`network_diagram` does not fit
    the layers."""
    if not sizes or min(sizes) < 1:
        raise ValueError("network_diagram: give at least one layer, each of at least one unit")
    if max_units < 2:
        raise ValueError("network_diagram: max_units must be at least 2")
    gaps = len(sizes) - 1
    if labels is not None and len(labels) != len(sizes):
        raise ValueError(f"network_diagram: {len(labels)} labels for {len(sizes)} layers")
    if weights is not None and len(weights) != gaps:
        raise ValueError(f"network_diagram: {len(weights)} weight labels for {gaps} gaps "
                         "between layers")
    shown = [min(n, max_units) for n in sizes]
    if units is not None and [len(u) for u in units] != shown:
        raise ValueError(f"network_diagram: units must give {shown} texts per layer")


def _layer_heights(size: int, max_units: int) -> np.ndarray:
    """The heights of a layer's drawn units, top first, centred on 0; a layer wider than
    ``max_units`` leaves a slot for the ellipsis before its last unit."""
    n = min(size, max_units)
    offsets = (np.arange(n) - (n - 1) / 2) * _NET_DY
    if size > max_units:
        offsets = (np.arange(n + 1) - n / 2) * _NET_DY
        offsets = np.concatenate([offsets[:n - 1], offsets[n:]])
    return -offsets


def _draw_network_gaps(ax, centres: list, weights, fixed: set, top: float) -> None:
    """Every unit joined to every unit of the next layer (dashed and grey where ``fixed``),
    each gap's weight label above it."""
    from matplotlib.collections import LineCollection

    for k in range(len(centres) - 1):
        segments = [(a, b) for a in centres[k] for b in centres[k + 1]]
        is_fixed = k in fixed
        ax.add_collection(LineCollection(
            segments, colors="0.6" if is_fixed else "0.35", linewidths=0.9,
            linestyles="--" if is_fixed else "-", zorder=1))
        if weights is not None and weights[k]:
            ax.text((k + 0.5) * _NET_DX, top + _NET_RADIUS + 0.15, weights[k], ha="center",
                    va="bottom", fontsize=9, color="0.45" if is_fixed else "0.1",
                    style="italic" if is_fixed else "normal", zorder=4)


def _draw_network_layers(ax, centres: list, sizes: list[int], labels, units, max_units: int,
                         bottom: float) -> None:
    """Each layer's circles (hidden layers edged in blue) with their texts, the ellipsis of a
    shortened layer, and the layer's label below it."""
    from matplotlib.patches import Circle

    for k, layer in enumerate(centres):
        edge = CLASS_COLORS[0] if 0 < k < len(centres) - 1 else "black"
        for i, (x, y) in enumerate(layer):
            ax.add_patch(Circle((x, y), _NET_RADIUS, facecolor="white", edgecolor=edge,
                                linewidth=1.4, zorder=2))
            if units is not None and units[k][i]:
                ax.text(x, y, units[k][i], ha="center", va="center", fontsize=8, zorder=3)
        if sizes[k] > max_units:
            ax.text(k * _NET_DX, (layer[-2][1] + layer[-1][1]) / 2, "\u22ee", ha="center",
                    va="center", fontsize=12, zorder=3)
        if labels is not None and labels[k]:
            ax.text(k * _NET_DX, bottom - _NET_RADIUS - 0.15, labels[k], ha="center", va="top",
                    fontsize=9, zorder=4)


# -- 04-gradient-descent: convexity by chords ---------------------------------------------------

__all__ += ["convexity_chord"]
DIAGRAMS += ("convexity_chord",)


def convexity_chord(ax, f, a: float, b: float, *, t: float | None = None, lo: float | None = None,
                    hi: float | None = None, title: str | None = None):
    """The chord picture of convexity: the graph of ``f``, the chord from ``(a, f(a))`` to
    ``(b, f(b))`` and, for a fraction ``t``, the point ``(1 - t) a + t b`` on both.

    The segment between the graph and the chord at that point is drawn green when the chord
    is on or above the graph (what convexity asks of every chord) and red when it is below.

    Parameters
    ----------
    ax : matplotlib Axes
    f : callable
        A scalar function of a scalar, ``f(float) -> float``.
    a, b : float
        The ends of the chord.
    t : float in [0, 1], optional
        Where on the chord to mark the point; none marked if None.
    lo, hi : float, optional
        The range of the graph; by default a quarter of ``|b - a|`` beyond both ends.
    """
    a, b = float(a), float(b)
    margin = 0.25 * abs(b - a) or 1.0
    lo = min(a, b) - margin if lo is None else float(lo)
    hi = max(a, b) + margin if hi is None else float(hi)
    xs = np.linspace(lo, hi, 300)
    ax.plot(xs, [float(f(x)) for x in xs], color="0.25", lw=1.8, label="f", gid="graph")
    fa, fb = float(f(a)), float(f(b))
    ax.plot([a, b], [fa, fb], "-", color=CLASS_COLORS[0], lw=1.5, label="chord", gid="chord")
    ax.scatter([a, b], [fa, fb], s=40, color=CLASS_COLORS[0], zorder=3)
    for x, fx, name in [(a, fa, "a"), (b, fb, "b")]:
        ax.annotate(name, (x, fx), textcoords="offset points", xytext=(-4, 8), fontsize=10,
                    color=CLASS_COLORS[0])
    if t is not None:
        t = float(t)
        x_t = (1 - t) * a + t * b
        on_chord = (1 - t) * fa + t * fb
        on_graph = float(f(x_t))
        above = on_chord >= on_graph
        color = CLASS_COLORS[2] if above else CLASS_COLORS[3]
        ax.plot([x_t, x_t], [on_graph, on_chord], "-", color=color, lw=2.5, gid="gap",
                label="chord above the graph" if above else "chord BELOW the graph")
        ax.scatter([x_t], [on_chord], s=50, color=CLASS_COLORS[0], edgecolor="black", zorder=4,
                   gid="point-on-chord")
        ax.scatter([x_t], [on_graph], s=50, color="0.25", edgecolor="black", zorder=4,
                   gid="point-on-graph")
        ax.axvline(x_t, color="0.8", lw=0.8, ls=":", zorder=0)
        ax.annotate(f"t = {t:.2f}", (x_t, min(on_chord, on_graph)), textcoords="offset points",
                    xytext=(4, -14), fontsize=9)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


# -- 07-perceptron: the weights of a linear classifier as templates ----------------------------

__all__ += ["weight_templates"]
DIAGRAMS += ("weight_templates",)


def weight_templates(ax, W, shape, labels=None, *, title: str | None = None):
    """Each class's weight vector drawn as an image: the template its score matches.

    A linear classifier scores class ``k`` with ``x @ W[:, k]``; when ``x`` is an image
    flattened row by row, column ``k`` reshaped to the image's ``shape`` shows which pixels
    raise the score (red) and which lower it (blue). The templates are drawn side by side in
    ``ax`` on one colour scale, symmetric about 0, with a label under each.

    Parameters
    ----------
    ax : matplotlib Axes
    W : ndarray, shape (d, m) or (d + 1, m)
        One column per class. A last row beyond ``prod(shape)`` (the bias) is left out.
    shape : tuple of int
        ``(rows, cols)`` of one image, ``rows * cols <= d``.
    labels : sequence of str, optional
        One name per class (default ``class 0``, ``class 1``, ...).
    """
    W = np.asarray(W, dtype=float)
    rows, cols = (int(s) for s in shape)
    pixels = rows * cols
    if W.ndim != 2 or W.shape[0] < pixels:
        raise ValueError(f"weight_templates: W must have at least {pixels} rows (one per pixel "
                         f"of a {rows} x {cols} image), received shape {W.shape}")
    m = W.shape[1]
    labels = list(labels) if labels is not None else [f"class {k}" for k in range(m)]
    gap = 1
    mosaic = np.full((rows, m * cols + (m - 1) * gap), np.nan)
    for k in range(m):
        left = k * (cols + gap)
        mosaic[:, left:left + cols] = W[:pixels, k].reshape(rows, cols)
    scale = float(np.nanmax(np.abs(mosaic))) if np.any(np.isfinite(mosaic)) else 0.0
    scale = scale if scale > 0 else 1.0
    ax.imshow(np.ma.masked_invalid(mosaic), cmap="RdBu_r", vmin=-scale, vmax=scale,
              interpolation="nearest")
    ax.set_xticks([k * (cols + gap) + (cols - 1) / 2 for k in range(m)], labels)
    ax.tick_params(axis="x", length=0)
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title)
    return ax
