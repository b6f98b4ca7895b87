"""A training playground: the student's own two-layer network learning live.

The playground trains with the functions a student wrote in notebook 06 (passed
in, never implemented here): ``init_params``, ``forward``, ``backward`` and
``sgd_step``.  It shows the decision boundary as a heat map with the training
points, the loss curve, and one small map per hidden unit of where that unit
is on.  Controls: data set, hidden units, learning rate, batch size; Play,
Pause, Step, Reset.

Responsiveness.  *Play* starts an ``asyncio`` task on the event loop that
ipykernel runs.  The task does one frame (one mini-batch step, a forward pass
on the grid, a redraw) and then awaits ``asyncio.sleep``, which hands control
back to the kernel: button clicks and slider changes are handled between any
two frames and the kernel never blocks.  ``ipywidgets.Play`` would also work,
but it ticks at a fixed interval from the browser whatever a frame costs, so a
slow frame queues ticks and *Pause* waits behind them; the task instead runs
exactly as fast as frames are drawn, capped at ``max_fps``.

Speed.  A full matplotlib redraw costs tens of milliseconds, too slow to
animate.  Here matplotlib draws the axes once per data set; every frame writes
the heat map, the points, the loss curve and the unit maps straight into RGB
numpy arrays and encodes them with a small PNG encoder (``zlib`` at level 1).
``python -m course bench playground`` measures both.

Headless (nbgrader, nbconvert, a test), the widget's PNG representation is a
static strip of snapshots over training, computed on a copy of the current
state when the widget is displayed, with no error and no warning.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import struct
import time
import warnings
import zlib

import ipywidgets as W
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from course import data, plots
from course.widgets import NOT_DRAWN, figures_off

__all__ = ["DATASETS", "Playground", "encode_png", "make_dataset", "training_playground"]

DATASETS = ("XOR", "circles", "blobs", "two spirals")
_CLASS_RGB = np.array([to_rgb(c) for c in plots.CLASS_COLORS])  # (6, 3) in [0, 1]
_OFF_GREY = 0.88


# -- data ------------------------------------------------------------------------------------


def make_dataset(name: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` labelled 2-D points of a named data set, scaled to fit in ``[-1, 1]^2``.

    ``"XOR"`` is the lecture's four corners with Gaussian noise around each (labels as in
    ``data.xor()``); the others come from :mod:`course.data`.
    """
    if name == "XOR":
        corners, labels = data.xor()
        which = np.arange(n) % 4
        X = corners[which] + 0.15 * rng.standard_normal((n, 2))
        y = labels[which]
    elif name == "circles":
        X, y = data.circles(n, rng)
    elif name == "blobs":
        X, y = data.blobs(n, rng, k=3)
    elif name == "two spirals":
        X, y = data.two_spirals(n, rng)
    else:
        raise ValueError(f"unknown data set {name!r}; choose one of {DATASETS}")
    centre = (X.max(axis=0) + X.min(axis=0)) / 2
    return (X - centre) / np.abs(X - centre).max(), y


# -- pixels ----------------------------------------------------------------------------------


def _chunk(tag: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + tag + payload
            + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF))


def encode_png(rgb: np.ndarray, level: int = 1) -> bytes:
    """Encode an ``(h, w, 3)`` uint8 array as PNG bytes (no filtering, zlib at ``level``)."""
    h, w, _ = rgb.shape
    raw = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type "none" for every scanline
    raw[:, 1:] = rgb.reshape(h, 3 * w)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + _chunk(b"IEND", b""))


def _to_uint8(rgb: np.ndarray) -> np.ndarray:
    return (np.clip(rgb, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def _disc(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    keep = dy**2 + dx**2 <= radius**2
    return np.column_stack([dy[keep], dx[keep]])  # (k, 2) pixel offsets


class _Canvas:
    """Where a data set's points and grid land in pixels, and its axes drawn once.

    ``heat(o)`` turns the network's probabilities on the grid into the RGB heat map with the
    training points stamped on it; ``framed(...)`` pastes that into the axes picture.
    """

    def __init__(self, X, y, m, *, resolution=100, pixels=3, margin=0.15, extent=None):
        self.resolution, self.pixels, self.m = resolution, pixels, m
        self.points, self.extent = plots.grid(X, resolution, margin, extent)  # (res**2, 2)
        self.size = resolution * pixels
        x0, x1, y0, y1 = self.extent
        col = np.round((X[:, 0] - x0) / (x1 - x0) * (self.size - 1)).astype(int)
        row = np.round((y1 - X[:, 1]) / (y1 - y0) * (self.size - 1)).astype(int)
        self._stamps = []  # (flat pixel indices, colour) pairs, drawn in order
        for offsets, colour_of in [(_disc(3.6), lambda c: np.ones(3)),
                                   (_disc(2.6), lambda c: _CLASS_RGB[c % len(_CLASS_RGB)])]:
            r = np.clip(row[:, None] + offsets[None, :, 0], 0, self.size - 1)
            c = np.clip(col[:, None] + offsets[None, :, 1], 0, self.size - 1)
            flat = (r * self.size + c).ravel()
            colours = np.repeat(np.array([colour_of(int(k)) for k in y]), len(offsets), axis=0)
            self._stamps.append((flat, _to_uint8(colours)))
        self._class_rgb = _CLASS_RGB[np.arange(m) % len(_CLASS_RGB)]  # (m, 3)
        self._frame, self._box = None, None  # the axes, drawn by matplotlib when first framed

    def _draw_axes(self):
        left, bottom, top, right, dpi = 42, 30, 8, 10, 100
        width, height = self.size + left + right, self.size + top + bottom
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        ax = fig.add_axes((left / width, bottom / height, self.size / width, self.size / height))
        ax.set_xlim(self.extent[0], self.extent[1])
        ax.set_ylim(self.extent[2], self.extent[3])
        ax.tick_params(labelsize=7, length=3)
        ax.set_xlabel("x1", fontsize=8, labelpad=1)
        ax.set_ylabel("x2", fontsize=8, labelpad=1)
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        frame = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        return frame, (top, left)

    def heat(self, o: np.ndarray) -> np.ndarray:
        """RGB uint8 ``(size, size, 3)``: the winning class's colour, paler where unsure."""
        res, m = self.resolution, self.m
        o = np.nan_to_num(np.asarray(o, dtype=float), nan=1.0 / m).reshape(res, res, m)[::-1]
        best = o.argmax(axis=2)
        confidence = (o.max(axis=2) - 1.0 / m) / (1.0 - 1.0 / m)  # 0 on the boundary, 1 sure
        alpha = (0.12 + 0.6 * np.clip(confidence, 0.0, 1.0))[..., None]
        rgb = _to_uint8(1.0 - alpha * (1.0 - self._class_rgb[best]))  # (res, res, 3)
        rgb = np.repeat(np.repeat(rgb, self.pixels, axis=0), self.pixels, axis=1)
        flat = rgb.reshape(-1, 3)
        for idx, colours in self._stamps:
            flat[idx] = colours
        return rgb

    def framed(self, heat: np.ndarray) -> np.ndarray:
        """The axes picture (uint8) with the ``heat`` picture pasted into the plot area."""
        if self._frame is None:
            self._frame, self._box = self._draw_axes()
        out = self._frame.copy()
        top, left = self._box
        out[top:top + self.size, left:left + self.size] = heat
        out[top:top + self.size, [left, left + self.size - 1]] = 60  # a thin frame
        out[[top, top + self.size - 1], left:left + self.size] = 60
        return out


def _loss_picture(history, width=280, height=120) -> np.ndarray:
    """A log-scale loss curve drawn straight into an RGB uint8 array."""
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    img[[0, -1], :] = 200
    img[:, [0, -1]] = 200
    values = np.asarray(history, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if len(values) < 2:
        return img
    logs = np.log10(values)
    lo, hi = logs.min(), logs.max()
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    span = max(len(values), 100)  # the x axis grows with training
    cols = np.minimum((np.arange(len(values)) / (span - 1) * (width - 5)).astype(int) + 2,
                      width - 3)
    rows = (2 + (hi - logs) / (hi - lo) * (height - 5)).astype(int)
    last_col, last_row = cols[0], rows[0]
    # keep one value per pixel column (the last), then join neighbours with vertical runs
    keep = np.r_[cols[1:] != cols[:-1], True]
    for c, r in zip(cols[keep], rows[keep]):
        a, b = sorted((last_row, r))
        img[a:b + 1, last_col:c + 1] = (31, 119, 180)
        last_col, last_row = c, r
    return img


def _unit_maps(h: np.ndarray, U: np.ndarray, resolution: int, per_row: int = 8,
               tile: int = 34, gap: int = 2) -> np.ndarray:
    """One small map per hidden unit: grey where it is off, coloured by how strongly it is on.

    The colour is that of the class the unit votes for most (its largest weight in ``U``).
    """
    v = h.shape[1]
    stride = max(1, resolution // tile)
    maps = h.reshape(resolution, resolution, v)[::-1][::stride, ::stride][:tile, :tile]
    tile = maps.shape[0]
    peak = maps.max(axis=(0, 1))
    strength = maps / np.where(peak > 0, peak, 1.0)  # (tile, tile, v) in [0, 1]
    votes = _CLASS_RGB[np.argmax(U, axis=1) % len(_CLASS_RGB)]  # (v, 3)
    on = strength[..., None] > 0
    rgb = np.where(on, 1.0 - (0.25 + 0.75 * strength[..., None]) * (1.0 - votes),
                   _OFF_GREY)  # (tile, tile, v, 3)
    rows = -(-v // per_row)
    cols = min(v, per_row)
    side = tile + gap
    tiles = np.full((rows * cols, side, side, 3), 255, dtype=np.uint8)  # each with its gap
    tiles[:v, gap:, gap:] = _to_uint8(rgb).transpose(2, 0, 1, 3)
    img = tiles.reshape(rows, cols, side, side, 3).transpose(0, 2, 1, 3, 4)
    img = img.reshape(rows * side, cols * side, 3)
    return np.pad(img, ((0, gap), (0, gap), (0, 0)), constant_values=255)


# -- the widget ------------------------------------------------------------------------------


class StudentCalls:
    """What both playgrounds do with the student's functions: call them quietly (numerical
    warnings of a diverging network are the picture's business, not the notebook's), and on
    an exception stop playing and keep the reason in ``error``, to be shown, never raised."""

    error = None
    playing = False

    def _call(self, fn, *args, **kwargs):
        """Call one of the student's functions; on an exception, stop and report it."""
        if self.error:
            return None
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the student's code: shown, not raised
            self.error = (f"{getattr(fn, '__name__', 'a function')} raised "
                          f"{type(exc).__name__}: {exc}")
            self.playing = False
            return None


class Playground(StudentCalls, W.VBox):
    """Train a two-layer network with the student's functions, drawing after every step.

    Parameters
    ----------
    init_params, forward, backward, sgd_step : callable
        The student's functions with the signatures of notebook 06.
    dataset : str
        One of :data:`DATASETS`.
    hidden, lr, batch_size : starting values of the controls.
    n : int
        Training points.
    seed : int
        Seeds the data, the initial parameters and the mini-batch order (Reset replays).
    scale : float
        ``scale`` passed to ``init_params``.
    strip_steps : tuple of int
        Steps at which the headless strip takes its snapshots.
    max_fps : float
        Upper bound on the frame rate while playing.
    """

    def __init__(self, init_params, forward, backward, sgd_step, *, dataset: str = "two spirals",
                 hidden: int = 32, lr: float = 0.5, batch_size: int = 20, n: int = 200,
                 seed: int = 0, scale: float = 1.0, resolution: int = 100, pixels: int = 3,
                 strip_steps=(0, 100, 400, 1500), max_fps: float = 30.0):
        self.init_params, self.forward = init_params, forward
        self.backward, self.sgd_step = backward, sgd_step
        self.n, self.seed, self.scale = n, seed, scale
        self.resolution, self.pixels = resolution, pixels
        self.strip_steps = tuple(strip_steps)
        self.max_fps = max_fps
        self.playing = False
        self.frames = 0
        self._task = None

        self.controls = {
            "dataset": W.Dropdown(options=DATASETS, value=dataset, description="data"),
            "hidden": W.IntSlider(value=hidden, min=1, max=64, description="hidden units",
                                  continuous_update=False),
            "lr": W.FloatLogSlider(value=lr, base=10, min=-3, max=1, step=0.1,
                                   description="learning rate", readout_format=".3g"),
            "batch_size": W.IntSlider(value=batch_size, min=1, max=n, description="batch size",
                                      continuous_update=False),
        }
        style = {"description_width": "initial"}
        for control in self.controls.values():
            control.style = style
        self.buttons = {name: W.Button(description=name, icon=icon,
                                       layout=W.Layout(width="90px"))
                        for name, icon in [("Play", "play"), ("Pause", "pause"),
                                           ("Step", "step-forward"), ("Reset", "refresh")]}
        self.buttons["Play"].on_click(lambda _: self.play())
        self.buttons["Pause"].on_click(lambda _: self.pause())
        self.buttons["Step"].on_click(lambda _: self.advance())
        self.buttons["Reset"].on_click(lambda _: self.reset())
        self.controls["dataset"].observe(lambda _: self.reset(), names="value")
        self.controls["hidden"].observe(lambda _: self.reset(), names="value")
        self.controls["batch_size"].observe(lambda _: self._new_epoch(), names="value")

        self.status = W.HTML()
        self.boundary = W.Image(format="png")
        self.loss_image = W.Image(format="png")
        self.units_image = W.Image(format="png")
        right = W.VBox([W.HTML("<b>training loss</b> (log scale)"), self.loss_image,
                        W.HTML("<b>hidden units</b>: where each is on (grey: off)"),
                        self.units_image])
        super().__init__([
            W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap")),
            W.HBox(list(self.buttons.values()) + [self.status]),
            W.HBox([self.boundary, right]),
        ])
        self.reset()

    # -- state -------------------------------------------------------------------------------

    @property
    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def reset(self) -> None:
        """Stop, draw the data again, re-initialise the network with ``init_params``, redraw."""
        self.playing = False
        v = self.values
        self.X, self.y = make_dataset(v["dataset"], self.n, np.random.default_rng(self.seed))
        self.m = int(self.y.max()) + 1
        self.canvas = _Canvas(self.X, self.y, self.m, resolution=self.resolution,
                              pixels=self.pixels)
        self._inputs = np.vstack([self.X, self.canvas.points])  # training points, then grid
        self.rng = np.random.default_rng(self.seed + 1)
        self.error = None
        self.step_count, self.epoch = 0, 0
        self.history: list[float] = []
        self.accuracy = float("nan")
        self.params = self._call(self.init_params, 2, v["hidden"], self.m, self.rng,
                                 scale=self.scale)
        self._new_epoch()
        self._evaluate()
        self.redraw()

    def _new_epoch(self, *_):
        self._order = self.rng.permutation(len(self.y))
        self._cursor = 0

    def _train_one_batch(self) -> None:
        if self._cursor >= len(self._order):
            self._new_epoch()
            self.epoch += 1
        idx = self._order[self._cursor:self._cursor + self.controls["batch_size"].value]
        self._cursor += len(idx)
        out = self._call(self.forward, self.params, self.X[idx])
        if out is None:
            return
        grads = self._call(self.backward, self.params, out[1], self.y[idx])
        if grads is None:
            return
        new = self._call(self.sgd_step, self.params, grads, self.controls["lr"].value)
        if new is not None:
            self.params = new
            self.step_count += 1

    def _evaluate(self, grid: bool = True) -> None:
        """Forward pass on the training points (and the grid); record loss and accuracy."""
        inputs = self._inputs if grid else self.X
        out = self._call(self.forward, self.params, inputs)
        if out is None:
            self._grid_o, self._grid_h = None, None
            return
        o, cache = out
        o = np.asarray(o, dtype=float)
        t = len(self.y)
        with np.errstate(all="ignore"):
            p_true = o[np.arange(t), self.y]
            loss = float(np.mean(-np.log(np.clip(p_true, 1e-300, None))))
        self.history.append((self.step_count, loss))
        self.accuracy = float(np.mean(o[:t].argmax(axis=1) == self.y))
        if grid:
            self._grid_o = o[t:]
            h = cache.get("h") if isinstance(cache, dict) else None
            self._grid_h = None if h is None else np.asarray(h)[t:]

    def advance(self) -> None:
        """One frame: one mini-batch step, a forward pass on the grid, a redraw (Step)."""
        self._train_one_batch()
        self._evaluate()
        self.redraw()

    # -- drawing -----------------------------------------------------------------------------

    def _status_html(self) -> str:
        if self.error:
            return f"<span style='color:#c00'>{self.error}</span> (fix it, then Reset)"
        loss = self.history[-1][1] if self.history else float("nan")
        note = "" if np.isfinite(loss) else \
            " <span style='color:#c00'>diverged: lower the learning rate and Reset</span>"
        return (f"step {self.step_count} &middot; epoch {self.epoch} &middot; "
                f"loss {loss:.4f} &middot; accuracy {self.accuracy:.1%}{note}")

    def pictures(self) -> dict:
        """The three pictures of the current state as RGB uint8 arrays."""
        m = self.m
        o = self._grid_o if self._grid_o is not None else \
            np.full((self.resolution ** 2, m), 1.0 / m)
        out = {"boundary": self.canvas.framed(self.canvas.heat(o)),
               "loss": _loss_picture([loss for _, loss in self.history])}
        U = self.params.get("U") if isinstance(self.params, dict) else None
        if self._grid_h is not None and U is not None and self._grid_h.ndim == 2:
            out["units"] = _unit_maps(np.nan_to_num(self._grid_h), np.asarray(U),
                                      self.resolution)
        else:
            out["units"] = np.full((4, 4, 3), 255, dtype=np.uint8)
        return out

    def redraw(self) -> None:
        pics = self.pictures()
        self.boundary.value = encode_png(pics["boundary"])
        self.loss_image.value = encode_png(pics["loss"])
        self.units_image.value = encode_png(pics["units"])
        self.status.value = self._status_html()
        self.buttons["Play"].disabled = self.playing
        self.buttons["Pause"].disabled = not self.playing
        self.frames += 1

    # -- playing -----------------------------------------------------------------------------

    def play(self) -> None:
        """Start training frame after frame on the kernel's event loop (returns at once)."""
        if self.playing or self.error:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a plain script): nothing can run in between
            self.status.value = "Play needs a running event loop (a Jupyter kernel has one)"
            return
        self.playing = True
        self.buttons["Play"].disabled, self.buttons["Pause"].disabled = True, False
        self._task = loop.create_task(self._animate())

    def pause(self) -> None:
        """Stop after the current frame."""
        self.playing = False

    async def _animate(self) -> None:
        try:
            while self.playing:
                start = time.perf_counter()
                self.advance()
                if self.error:
                    break
                # hand the loop back to the kernel: clicks and slider changes run here
                await asyncio.sleep(max(0.0, 1.0 / self.max_fps - (time.perf_counter() - start)))
        finally:
            self.playing = False
            self.redraw()

    # -- headless ----------------------------------------------------------------------------

    _STATE = ("params", "rng", "_order", "_cursor", "step_count", "epoch", "history",
              "accuracy", "error", "_grid_o", "_grid_h", "playing")

    def strip(self) -> bytes:
        """PNG of snapshots at ``strip_steps``, trained on a copy: the live state is unchanged."""
        saved = {name: getattr(self, name) for name in self._STATE}
        snapshots = []
        try:
            self.rng = copy.deepcopy(self.rng)
            self.params = copy.deepcopy(self.params)
            self.history = list(self.history)
            start = self.step_count
            every = max(1, max(self.strip_steps) // 100)  # about 100 points on the loss curve
            for target in sorted(self.strip_steps):
                while self.step_count < start + target and self.error is None:
                    self._train_one_batch()
                    if self.step_count % every == 0 and self.step_count < start + target:
                        self._evaluate(grid=False)
                self._evaluate()
                if self.error is None or not snapshots:
                    snapshots.append((self.step_count, self.pictures()["boundary"],
                                      self.history[-1][1] if self.history else float("nan"),
                                      self.accuracy))
            error, history = self.error, list(self.history)
        finally:
            for name, value in saved.items():
                setattr(self, name, value)
        k = len(snapshots)
        fig = Figure(figsize=(2.5 * (k + 1), 2.9), layout="constrained")
        axes = fig.subplots(1, k + 1)
        for ax, (step, picture, loss, acc) in zip(axes, snapshots):
            ax.imshow(picture)
            ax.set_axis_off()
            ax.set_title(f"step {step}\nloss {loss:.3f}, accuracy {acc:.0%}", fontsize=9)
        steps = [s for s, _ in history]
        losses = np.array([loss for _, loss in history])
        ok = np.isfinite(losses) & (losses > 0)
        axes[-1].plot(np.array(steps)[ok], losses[ok])
        axes[-1].set_yscale("log")
        axes[-1].set_xlabel("step", fontsize=8)
        axes[-1].tick_params(labelsize=7)
        axes[-1].set_title("training loss", fontsize=9)
        if error:
            fig.suptitle(error[:120], color="#c00", fontsize=9)
        else:
            v = self.values
            fig.suptitle(f"{v['dataset']}, {v['hidden']} hidden units, learning rate "
                         f"{v['lr']:.3g}, batch size {v['batch_size']} (snapshots of training)",
                         fontsize=10)
        return plots.figure_png(fig, dpi=72)

    def _repr_mimebundle_(self, **kwargs):
        if figures_off():
            return {"text/plain": NOT_DRAWN}
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = base64.b64encode(self.strip()).decode("ascii")
        return bundle


def training_playground(init_params, forward, backward, sgd_step, **options) -> Playground:
    """A :class:`Playground` training the given functions (see its parameters)."""
    return Playground(init_params, forward, backward, sgd_step, **options)
