"""The training playground, headless: Step, Reset, Play/Pause, the static strip, the callbacks.

The network functions here are a plain implementation of notebook 06's contract, written for
these tests (the course package implements none of them); spies around them check that the
playground trains with exactly the functions it was given.
"""

import asyncio
import base64
import warnings

import numpy as np
import pytest

from course import playground, widgets


def _init_params(d, v, m, rng, scale=0.01):
    return {"H": scale * rng.standard_normal((d, v)), "b_H": np.zeros(v),
            "U": scale * rng.standard_normal((v, m)), "b_U": np.zeros(m)}


def _forward(params, F):
    k = F @ params["H"] + params["b_H"]
    h = np.maximum(k, 0.0)
    z = h @ params["U"] + params["b_U"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    o = e / e.sum(axis=1, keepdims=True)
    return o, {"F": F, "k": k, "h": h, "z": z, "o": o}


def _backward(params, cache, y):
    dz = cache["o"].copy()
    dz[np.arange(len(y)), y] -= 1.0
    dz /= len(y)
    dk = (dz @ params["U"].T) * (cache["k"] >= 0)
    return {"dH": cache["F"].T @ dk, "db_H": dk.sum(axis=0), "dU": cache["h"].T @ dz,
            "db_U": dz.sum(axis=0)}


def _sgd_step(params, grads, lr):
    return {name: value - lr * grads["d" + name] for name, value in params.items()}


class Spy:
    """Wrap a function and count its calls."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0
        self.__name__ = fn.__name__

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


def _make(**options):
    spies = [Spy(f) for f in (_init_params, _forward, _backward, _sgd_step)]
    options = {"n": 60, "resolution": 40, "pixels": 2, "strip_steps": (0, 20, 60), **options}
    return playground.training_playground(*spies, **options), spies


def _png(data: bytes) -> bool:
    return bytes(data[:8]) == b"\x89PNG\r\n\x1a\n"


def test_encode_png_round_trips_through_matplotlib():
    import io

    import matplotlib.image as mpimg

    rgb = np.random.default_rng(0).integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    back = mpimg.imread(io.BytesIO(playground.encode_png(rgb)), format="png")
    np.testing.assert_array_equal((back[..., :3] * 255).round().astype(np.uint8), rgb)


@pytest.mark.parametrize("name", playground.DATASETS)
def test_data_sets_fit_the_unit_square_and_follow_the_seed(name):
    X, y = playground.make_dataset(name, 40, np.random.default_rng(3))
    assert X.shape == (40, 2) and y.shape == (40,)
    assert np.abs(X).max() == pytest.approx(1.0)
    X2, _ = playground.make_dataset(name, 40, np.random.default_rng(3))
    np.testing.assert_array_equal(X, X2)


def test_builds_headless_without_warnings_and_uses_the_given_functions():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pg, (init, fwd, bwd, sgd) = _make()
    assert init.calls == 1 and fwd.calls == 1  # initial parameters, one forward for the picture
    assert pg.step_count == 0 and len(pg.history) == 1
    assert all(_png(img.value) for img in (pg.boundary, pg.loss_image, pg.units_image))


def test_step_advances_one_mini_batch_with_the_students_functions():
    pg, (init, fwd, bwd, sgd) = _make(batch_size=10)
    before = {k: v.copy() for k, v in pg.params.items()}
    picture, frames = pg.boundary.value, pg.frames
    pg.buttons["Step"].click()
    assert pg.step_count == 1 and pg.frames == frames + 1
    assert (fwd.calls, bwd.calls, sgd.calls) == (3, 1, 1)  # the batch, then batch + grid
    assert not np.allclose(pg.params["H"], before["H"])
    assert pg.boundary.value != picture
    assert len(pg.history) == 2
    for _ in range(6):
        pg.advance()
    assert pg.epoch == 1  # 60 points in batches of 10: the seventh step starts epoch 1


def test_training_lowers_the_loss():
    pg, _ = _make(dataset="blobs", hidden=8, lr=0.5)
    for _ in range(60):
        pg.advance()
    assert pg.history[-1][1] < 0.5 * pg.history[0][1]
    assert pg.accuracy > 0.9


def test_reset_restores_the_starting_network():
    pg, (init, *_rest) = _make()
    start = {k: v.copy() for k, v in pg.params.items()}
    first_picture = pg.boundary.value
    for _ in range(5):
        pg.advance()
    pg.buttons["Reset"].click()
    assert pg.step_count == 0 and pg.epoch == 0 and len(pg.history) == 1
    assert init.calls == 2
    for name, value in start.items():
        np.testing.assert_array_equal(pg.params[name], value)
    assert pg.boundary.value == first_picture


def test_changing_data_or_width_resets_and_redraws_the_unit_maps():
    pg, _ = _make(hidden=4)
    pg.advance()
    pg.controls["hidden"].value = 12
    assert pg.step_count == 0 and pg.params["H"].shape == (2, 12)
    assert pg._grid_h.shape[1] == 12
    pg.controls["dataset"].value = "blobs"
    assert pg.m == 3 and pg.params["U"].shape == (12, 3)


def test_play_runs_frames_on_the_event_loop_until_pause():
    pg, _ = _make()

    async def session():
        pg.buttons["Play"].click()
        assert pg.playing and pg.buttons["Play"].disabled and pg.step_count == 0
        await asyncio.sleep(0.3)  # the kernel stays free: this coroutine runs meanwhile
        steps_while_playing = pg.step_count
        assert pg.playing and steps_while_playing > 0
        pg.buttons["Pause"].click()
        await pg._task
        return steps_while_playing

    steps = asyncio.run(session())
    assert not pg.playing and pg.step_count >= steps
    assert pg.buttons["Play"].disabled is False and pg.buttons["Pause"].disabled is True


def test_play_without_an_event_loop_does_nothing():
    pg, _ = _make()
    pg.play()
    assert not pg.playing and pg.step_count == 0


def test_headless_strip_shows_snapshots_and_leaves_the_state_alone():
    pg, (_, fwd, _, sgd) = _make()
    pg.advance()
    state = (pg.step_count, len(pg.history), pg.params["H"].copy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bundle = pg._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert _png(base64.b64decode(bundle["image/png"]))
    assert sgd.calls >= 1 + 60  # the strip trained up to its last snapshot
    assert (pg.step_count, len(pg.history)) == state[:2]
    np.testing.assert_array_equal(pg.params["H"], state[2])


def test_an_error_in_the_students_code_is_shown_not_raised():
    def broken_backward(params, cache, y):
        raise ValueError("shapes do not match")

    pg = playground.training_playground(_init_params, _forward, broken_backward, _sgd_step,
                                        n=40, resolution=30, strip_steps=(0, 10))
    pg.advance()
    assert pg.step_count == 0 and "shapes do not match" in pg.status.value
    assert _png(base64.b64decode(pg._repr_mimebundle_()["image/png"]))


def test_asked_for_no_figures_the_strip_is_not_trained(monkeypatch):
    monkeypatch.setenv(widgets.FIGURES_ENV, "off")
    pg, (_, _, _, sgd) = _make()
    assert pg._repr_mimebundle_() == {"text/plain": widgets.NOT_DRAWN}
    assert sgd.calls == 0
