"""The live playground: the student's network trained in the kernel, drawn by the browser.

The kernel trains with the student's own functions (``init_params``, ``forward``,
``backward``, ``sgd_step`` of notebook 06, passed in: nothing graded is implemented here) and
after each update sends only the parameters, as binary buffers (float64), to the front end,
``course/static/live.js``.  The browser evaluates the network on a 100 x 100 grid and paints
the decision boundary, the points, the loss curves and one small map per hidden unit on
canvases, every animation frame.  While playing, the browser asks for updates three at a time
(the kernel sends them one by one), asks for the next three while it draws the last, and draws
one per animation frame: the kernel trains about as fast as pictures are shown and never floods
the websocket, and one request (with the kernel's busy and idle) serves three pictures.

The browser's network is the contract's: ``k = F H + b_H``, ``h = max(k, 0)``,
``z = h U + b_U``, ``o = softmax(z)`` (or ``z = F W + b`` for a linear model, parameters
``W, b``).  So that the picture is always the *student's* network, the browser sends its
outputs on probe points back every few updates and the kernel compares them with the
student's ``forward`` on the same parameters.  If they disagree (the student's forward is not
that network, or the parameters have another layout), the widget shows a warning and falls
back to frames drawn in the kernel from the student's ``forward`` (the PNG drawing of
:mod:`course.playground`).

Controls: data set, input features, hidden units, learning rate, L2 penalty, batch size,
noise, play / pause / step / reset; a click on the picture adds a training point of class 0,
a shift-click one of class 1 (alt-click: class 2, for the multiclass data).

Headless (nbconvert, a feedback page, a test) the widget's ``image/png`` representation is a
static picture: snapshots over training, computed on a copy of the state.  In a kernel that
nbgrader runs (``NBGRADER_EXECUTION`` set) it is one small picture of the current state,
drawn without matplotlib.
"""

from __future__ import annotations

import base64
import copy
import time
from pathlib import Path

import anywidget
import numpy as np
import traitlets as T

from course import data, plots
from course.playground import StudentCalls, _Canvas, _unit_maps, encode_png
from course.widgets import NOT_DRAWN, figures_off, unwatched

__all__ = ["DATASETS", "FEATURES", "EXTENT", "LivePlayground", "live_playground",
           "dataset", "feature_map"]

DATASETS = ("circle", "XOR", "Gaussian", "two spirals", "3 blobs (multiclass)")
#: Input features the network can be given, in the order they enter ``F``'s columns.
#: The plane spans about [-1, 1], where sin x is nearly x: the sines take pi x.
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1 x2", "sin(pi x1)", "sin(pi x2)")
EXTENT = (-1.3, 1.3, -1.3, 1.3)  # the plane drawn, as imshow takes it
STATIC = Path(__file__).parent / "static"


def dataset(name: str, n: int, noise: float, rng: np.random.Generator):
    """``n`` labelled points of a named data set in about ``[-1, 1]^2``.

    ``noise`` is the standard deviation of the Gaussian jitter added to every point.
    Returns ``X`` of shape ``(n, 2)`` and integer labels ``y`` of shape ``(n,)``.
    """
    if name == "circle":
        X, y = data.circles(n, rng, noise=0.0, factor=0.45)
        X = 0.95 * X
    elif name == "XOR":
        y = np.arange(n) % 4
        signs = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]])[y]  # (n, 2)
        X = signs * 0.5 + 0.12 * rng.standard_normal((n, 2))
        y = (y >= 2).astype(int)  # one coordinate positive, the other negative: class 1
    elif name == "Gaussian":
        y = np.arange(n) % 2
        centres = np.array([[-0.45, -0.45], [0.45, 0.45]])
        X = centres[y] + 0.2 * rng.standard_normal((n, 2))
    elif name == "two spirals":
        X, y = data.two_spirals(n, rng, noise=0.0)
    elif name == "3 blobs (multiclass)":
        X, y = data.blobs(n, rng, k=3, spread=0.15, radius=0.6)
    else:
        raise ValueError(f"unknown data set {name!r}; choose one of {DATASETS}")
    X = X + noise * rng.standard_normal((n, 2))
    return np.clip(X, EXTENT[0] + 0.05, EXTENT[1] - 0.05), np.asarray(y, dtype=int)


def feature_map(X: np.ndarray, names) -> np.ndarray:
    """The chosen input features of 2-D points: ``(t, 2) -> (t, len(names))``."""
    x1, x2 = X[:, 0], X[:, 1]
    columns = {"x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2, "x1 x2": x1 * x2,
               "sin(pi x1)": np.sin(np.pi * x1), "sin(pi x2)": np.sin(np.pi * x2)}
    unknown = [name for name in names if name not in columns]
    if unknown:
        raise ValueError(f"unknown features {unknown}; choose from {FEATURES}")
    return np.column_stack([columns[name] for name in names]).astype(float)


def _mean_nll(o: np.ndarray, y: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        p = np.asarray(o, dtype=float)[np.arange(len(y)), y]
        return float(np.mean(-np.log(np.clip(p, 1e-300, None))))


_LAYOUTS = {"two-layer": ("H", "b_H", "U", "b_U"), "linear": ("W", "b")}
_WEIGHTS = ("H", "U", "W")  # what the L2 penalty shrinks (not the biases)


def _layout(params, d: int, m: int) -> str | None:
    """Which network the browser can draw for these parameters, or None."""
    if not isinstance(params, dict):
        return None
    for kind, keys in _LAYOUTS.items():
        if set(params) != set(keys):
            continue
        try:
            arrays = {k: np.asarray(params[k], dtype=float) for k in keys}
        except (TypeError, ValueError):
            return None
        if kind == "linear":
            ok = arrays["W"].shape == (d, m) and arrays["b"].shape == (m,)
        else:
            v = arrays["H"].shape[1] if arrays["H"].ndim == 2 else -1
            ok = (arrays["H"].shape == (d, v) and arrays["b_H"].shape == (v,)
                  and arrays["U"].shape == (v, m) and arrays["b_U"].shape == (m,))
        return kind if ok else None
    return None


class LivePlayground(StudentCalls, anywidget.AnyWidget):
    """Train a network with the student's functions; the browser draws it every frame.

    Parameters
    ----------
    init_params, forward, backward, sgd_step : callable
        The student's functions with the signatures of notebook 06 (``init_params(d, v, m,
        rng, scale=...)``, ``forward(params, F) -> (o, cache)``, ``backward(params, cache, y)
        -> grads`` with a key ``"d" + name`` per parameter, ``sgd_step(params, grads, lr)``).
    dataset, features, hidden, lr, l2, batch_size, noise : starting values of the controls.
    n, n_test : training and held-out points.
    seed : seeds the data, the initial parameters and the mini-batch order (Reset replays).
    scale : ``scale`` passed to ``init_params``.
    steps_per_update : training steps between two pictures.
    hidden_control : show the hidden-units slider (not for a linear model).
    strip_steps : steps at which the headless picture takes its snapshots.
    """

    _esm = STATIC / "live.js"

    datasets = T.List(T.Unicode()).tag(sync=True)
    feature_names = T.List(T.Unicode()).tag(sync=True)
    dataset = T.Unicode("two spirals").tag(sync=True)
    features = T.List(T.Unicode(), default_value=["x1", "x2"]).tag(sync=True)
    hidden = T.Int(16).tag(sync=True)
    hidden_control = T.Bool(True).tag(sync=True)
    lr = T.Float(0.3).tag(sync=True)
    l2 = T.Float(0.0).tag(sync=True)
    batch_size = T.Int(10).tag(sync=True)
    noise = T.Float(0.05).tag(sync=True)
    steps_per_update = T.Int(1).tag(sync=True)
    playing = T.Bool(False).tag(sync=True)
    mode = T.Unicode("browser").tag(sync=True)  # "browser", or "kernel" after a mismatch
    warning = T.Unicode("").tag(sync=True)
    error = T.Unicode("").tag(sync=True)
    extent = T.List(T.Float(), default_value=list(EXTENT)).tag(sync=True)
    resolution = T.Int(100).tag(sync=True)
    n_classes = T.Int(2).tag(sync=True)
    train_x = T.Bytes(b"").tag(sync=True)  # float64 (t, 2)
    train_y = T.Bytes(b"").tag(sync=True)  # int32 (t,)
    test_x = T.Bytes(b"").tag(sync=True)
    test_y = T.Bytes(b"").tag(sync=True)

    def __init__(self, init_params, forward, backward, sgd_step, *, dataset: str = "two spirals",
                 features=("x1", "x2"), hidden: int = 16, lr: float = 0.3, l2: float = 0.0,
                 batch_size: int = 10, noise: float = 0.05, n: int = 200, n_test: int = 100,
                 seed: int = 0, scale: float = 1.0, steps_per_update: int = 1,
                 hidden_control: bool = True, strip_steps=(0, 100, 400, 1500)):
        self.init_params, self.forward = init_params, forward
        self.backward, self.sgd_step = backward, sgd_step
        self.n, self.n_test, self.seed, self.scale = n, n_test, seed, scale
        self.strip_steps = tuple(strip_steps)
        self.version = 0  # counts the parameter sets sent (the browser's probes name one)
        self._sent: dict[int, dict] = {}  # recent versions' parameters, for the probes
        self.probes_checked = 0
        self.cpu_per_step = float("nan")  # kernel CPU seconds per training step (mean)
        self._cpu, self._cpu_steps = 0.0, 0
        self._quiet = True
        super().__init__(datasets=list(DATASETS), feature_names=list(FEATURES),
                         dataset=dataset, features=list(features), hidden=hidden, lr=lr, l2=l2,
                         batch_size=batch_size, noise=noise, steps_per_update=steps_per_update,
                         hidden_control=hidden_control)
        self.on_msg(self._on_message)
        self.observe(self._on_structure, names=["dataset", "features", "hidden", "noise"])
        self._quiet = False
        self.reset()

    # -- state -------------------------------------------------------------------------------

    def _on_structure(self, change) -> None:
        if change["name"] == "features" and not change["new"]:
            self.features = change["old"] or ["x1", "x2"]  # at least one feature
            return
        if not self._quiet:
            self.reset()

    def reset(self) -> None:
        """Draw the data again, re-initialise the network with ``init_params``, send it."""
        self.playing = False
        X, y = dataset(self.dataset, self.n + self.n_test, self.noise,
                       np.random.default_rng(self.seed))
        self.X, self.y = X[:self.n], y[:self.n]
        self.X_test, self.y_test = X[self.n:], y[self.n:]
        self.m = int(y.max()) + 1
        self.rng = np.random.default_rng(self.seed + 1)
        self.error = ""
        self.step_count, self.epoch = 0, 0
        self.history: list[tuple[int, float, float]] = []  # (step, train loss, held-out loss)
        self.accuracy = float("nan")
        self.params = self._call(self.init_params, len(self.features), self.hidden, self.m,
                                 self.rng, scale=self.scale)
        self._new_epoch()
        with self.hold_sync():
            self.n_classes = self.m
            self._send_points()
        self._evaluate()
        self._publish(reset=True)

    def _send_points(self) -> None:
        self.train_x = np.ascontiguousarray(self.X, dtype="<f8").tobytes()
        self.train_y = np.ascontiguousarray(self.y, dtype="<i4").tobytes()
        self.test_x = np.ascontiguousarray(self.X_test, dtype="<f8").tobytes()
        self.test_y = np.ascontiguousarray(self.y_test, dtype="<i4").tobytes()

    def add_point(self, x1: float, x2: float, label: int) -> None:
        """Add a training point (a click on the picture); the network is kept."""
        label = int(min(max(label, 0), self.m - 1))
        self.X = np.vstack([self.X, [[float(x1), float(x2)]]])
        self.y = np.append(self.y, label)
        self._send_points()
        self._new_epoch()
        self._evaluate()
        self._publish()

    def _new_epoch(self) -> None:
        self._order = self.rng.permutation(len(self.y))
        self._cursor = 0

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        return feature_map(X, self.features)

    def _train_one_batch(self) -> None:
        if self._cursor >= len(self._order):
            self._new_epoch()
            self.epoch += 1
        idx = self._order[self._cursor:self._cursor + max(1, int(self.batch_size))]
        self._cursor += len(idx)
        out = self._call(self.forward, self.params, self._inputs(self.X[idx]))
        if out is None:
            return
        grads = self._call(self.backward, self.params, out[1], self.y[idx])
        if grads is None:
            return
        if self.l2 > 0 and isinstance(grads, dict):  # the penalty (l2 / 2) |weights|^2
            grads = dict(grads)
            for name in _WEIGHTS:
                if "d" + name in grads and name in self.params:
                    grads["d" + name] = grads["d" + name] + self.l2 * self.params[name]
        new = self._call(self.sgd_step, self.params, grads, self.lr)
        if new is not None:
            self.params = new
            self.step_count += 1

    def _evaluate(self) -> None:
        """Losses on the training and held-out points, training accuracy."""
        both = np.vstack([self.X, self.X_test])
        out = self._call(self.forward, self.params, self._inputs(both))
        if out is None:
            return
        o = np.asarray(out[0], dtype=float)
        t = len(self.y)
        self.history.append((self.step_count, _mean_nll(o[:t], self.y),
                             _mean_nll(o[t:], self.y_test)))
        self.accuracy = float(np.mean(o[:t].argmax(axis=1) == self.y))

    def advance(self, steps: int = 1) -> None:
        """``steps`` training steps, then the losses and one picture (Step)."""
        start = time.process_time()
        done = 0
        for _ in range(steps):
            if self.error:
                break
            self._train_one_batch()
            done += 1
        self._cpu += time.process_time() - start
        self._cpu_steps += done
        self._evaluate()
        if self._cpu_steps:
            self.cpu_per_step = self._cpu / self._cpu_steps
        self._publish()

    # -- what the browser receives -------------------------------------------------------------

    def _status(self) -> dict:
        last = self.history[-1] if self.history else (self.step_count, np.nan, np.nan)
        return {"step": self.step_count, "epoch": self.epoch, "train_loss": last[1],
                "test_loss": last[2], "accuracy": self.accuracy, "points": len(self.y),
                "cpu_ms": 1000 * self.cpu_per_step}

    def _publish(self, reset: bool = False) -> None:
        """Send the parameters (browser mode) or a kernel-drawn frame (kernel mode)."""
        if self.error:
            self.playing = False
        content = {"reset": reset, **{k: (None if isinstance(v, float) and not np.isfinite(v)
                                          else v) for k, v in self._status().items()}}
        kind = _layout(self.params, len(self.features), self.m) if not self.error else None
        if self.mode == "browser" and kind is None and not self.error:
            self._fall_back("the parameters are not the H, b_H, U, b_U (or W, b) the browser "
                            "draws")
        if self.error:
            self.send({"type": "status", **content})
        elif self.mode == "browser":
            self.version += 1
            keys = _LAYOUTS[kind]
            arrays = [np.ascontiguousarray(self.params[k], dtype="<f8") for k in keys]
            self._sent[self.version] = {k: a for k, a in zip(keys, arrays)}
            for old in [v for v in self._sent if v <= self.version - 64]:
                del self._sent[old]
            self.send({"type": "params", "version": self.version, "kind": kind,
                       "keys": list(keys), "shapes": [list(a.shape) for a in arrays], **content},
                      buffers=[a.tobytes() for a in arrays])
        else:
            boundary, units = self._kernel_frame()
            self.send({"type": "frame", **content}, buffers=[boundary, units])

    def _fall_back(self, why: str) -> None:
        self.mode = "kernel"
        self.warning = (f"The browser's picture did not match your forward ({why}): the "
                        "picture is now drawn in the kernel from your forward, more slowly.")

    def _grid(self, resolution: int):
        points, _ = plots.grid(np.zeros((1, 2)), resolution, extent=tuple(self.extent))
        return points

    def _kernel_frame(self, resolution: int | None = None, pixels: int = 3):
        """PNGs of the boundary (points stamped on it) and of the hidden units' maps, drawn
        from the student's ``forward`` on the grid."""
        res = resolution or self.resolution
        out = self._call(self.forward, self.params, self._inputs(self._grid(res)))
        canvas = _Canvas(self.X, self.y, self.m, resolution=res, pixels=pixels,
                         extent=tuple(self.extent))
        if out is None:
            o, h = np.full((res * res, self.m), 1.0 / self.m), None
        else:
            o = np.asarray(out[0], dtype=float)
            h = out[1].get("h") if isinstance(out[1], dict) else None
        boundary = encode_png(canvas.heat(o))
        U = self.params.get("U") if isinstance(self.params, dict) else None
        if h is not None and U is not None and np.ndim(h) == 2:
            units = encode_png(_unit_maps(np.nan_to_num(np.asarray(h, dtype=float)),
                                          np.asarray(U), res))
        else:
            units = encode_png(np.full((2, 2, 3), 255, dtype=np.uint8))
        return boundary, units

    # -- what the browser sends ----------------------------------------------------------------

    def _on_message(self, _widget, content, buffers) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "tick":  # playing: the next pictures, please
            if self.playing and not self.error:
                for _ in range(min(10, max(1, int(content.get("count", 1))))):
                    self.advance(max(1, int(self.steps_per_update)))
            else:
                self._publish()  # answer anyway: the browser counts its requests
        elif kind == "step":
            self.advance(1)
        elif kind == "reset":
            self.reset()
        elif kind == "add":
            self.add_point(content["x1"], content["x2"], int(content.get("label", 0)))
        elif kind == "probe" and isinstance(content.get("version"), int):
            self.check_probe(content["version"], buffers)
        elif kind == "hello":  # a view was drawn: it needs the current state
            self._publish(reset=True)

    def check_probe(self, version: int, buffers) -> bool:
        """Compare the browser's outputs on probe points with the student's ``forward``.

        ``buffers`` holds the points (float64, ``(p, 2)``) and the browser's ``o`` for them
        (float64, ``(p, m)``) computed with the parameters of ``version``. On a mismatch (or
        anything unreadable) the widget falls back to kernel-drawn frames. Returns whether
        they agree.
        """
        params = self._sent.get(version)
        if params is None or self.mode != "browser":
            return True  # too old to check, or already drawn by the kernel
        try:
            points = np.frombuffer(bytes(buffers[0]), dtype="<f8").reshape(-1, 2)
            seen = np.frombuffer(bytes(buffers[1]), dtype="<f8").reshape(len(points), -1)
        except (IndexError, ValueError, TypeError):
            self._fall_back("the browser's probe could not be read")
            self._publish()
            return False
        out = self._call(self.forward, {k: v.copy() for k, v in params.items()},
                         self._inputs(points))
        if out is None:
            self._publish()
            return False
        expected = np.asarray(out[0], dtype=float)
        self.probes_checked += 1
        if expected.shape != seen.shape or not np.allclose(seen, expected, rtol=1e-6,
                                                           atol=1e-7):
            worst = (np.nanmax(np.abs(seen - expected)) if expected.shape == seen.shape
                     else float("nan"))
            self._fall_back(f"on {len(points)} probe points the outputs differ by up to "
                            f"{worst:.3g}")
            self._publish()
            return False
        return True

    # -- headless ------------------------------------------------------------------------------

    def play(self) -> None:
        """Start training; the browser asks for each next picture (nothing runs headless)."""
        if not self.error:
            self.playing = True

    def pause(self) -> None:
        self.playing = False

    _STATE = ("params", "rng", "_order", "_cursor", "step_count", "epoch", "history",
              "accuracy", "_cpu", "_cpu_steps", "cpu_per_step")

    def picture(self) -> bytes:
        """A PNG of the widget as a viewer without a front end sees it."""
        if unwatched():  # nbgrader: one small picture of the current state, no matplotlib
            boundary, _ = self._kernel_frame(resolution=40, pixels=2)
            return boundary
        return self._strip()

    def _strip(self) -> bytes:
        from matplotlib.figure import Figure

        saved = {name: getattr(self, name) for name in self._STATE}
        saved_error = self.error
        snapshots = []
        try:
            self.rng = copy.deepcopy(self.rng)
            self.params = copy.deepcopy(self.params)
            self.history = list(self.history)
            start = self.step_count
            for target in sorted(self.strip_steps):
                while self.step_count < start + target and not self.error:
                    self._train_one_batch()
                    if self.step_count % 20 == 0:
                        self._evaluate()
                self._evaluate()
                boundary = _png_array(self._kernel_frame(resolution=60, pixels=2)[0])
                last = self.history[-1] if self.history else (0, np.nan, np.nan)
                snapshots.append((self.step_count, boundary, last[1], self.accuracy))
                if self.error:
                    break
            history, error = list(self.history), self.error
        finally:
            for name, value in saved.items():
                setattr(self, name, value)
            self.error = saved_error
        k = len(snapshots)
        fig = Figure(figsize=(2.4 * (k + 1), 2.8), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, k + 1))
        for ax, (step, picture, loss, acc) in zip(axes, snapshots):
            ax.imshow(picture)
            ax.set_axis_off()
            ax.set_title(f"step {step}\nloss {loss:.3f}, accuracy {acc:.0%}", fontsize=9)
        steps = np.array([s for s, _, _ in history])
        for column, label in ((1, "training"), (2, "held-out")):
            losses = np.array([row[column] for row in history])
            ok = np.isfinite(losses) & (losses > 0)
            axes[-1].plot(steps[ok], losses[ok], label=label)
        axes[-1].set_yscale("log")
        axes[-1].set_xlabel("step", fontsize=8)
        axes[-1].tick_params(labelsize=7)
        axes[-1].legend(fontsize=7)
        axes[-1].set_title("loss", fontsize=9)
        if error:
            fig.suptitle(error[:120], color="#c00", fontsize=9)
        else:
            fig.suptitle(f"{self.dataset}, features {', '.join(self.features)}, "
                         f"{self.hidden} hidden units, learning rate {self.lr:.3g} "
                         "(snapshots of training)", fontsize=9)
        return plots.figure_png(fig, dpi=72)

    def _repr_mimebundle_(self, **kwargs):
        if figures_off():
            return {"text/plain": NOT_DRAWN}, {}
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        data = dict(data)
        data["image/png"] = base64.b64encode(self.picture()).decode("ascii")
        return data, metadata


def _png_array(png: bytes) -> np.ndarray:
    import io

    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def live_playground(init_params, forward, backward, sgd_step, **options) -> LivePlayground:
    """A :class:`LivePlayground` training the given functions (see its parameters)."""
    return LivePlayground(init_params, forward, backward, sgd_step, **options)
