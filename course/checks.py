"""Comparison helpers for test cells, with failure messages that teach.

Every helper raises :class:`CheckFailure` (an ``AssertionError``) whose message
says what was checked, what was expected, what was received and, where one is
given, the usual mistake behind such a difference.  Test cells call them
instead of bare ``assert`` so a student learns *why* a test failed::

    checks.assert_close(linear_layer(X, W, b), X @ W + b, name="linear_layer(X, W, b)",
                        hint="Did you forget the bias b?")
"""

from __future__ import annotations

import inspect
import sys
import warnings
from contextlib import contextmanager

import numpy as np

__all__ = [
    "CheckFailure",
    "assert_close",
    "assert_equal",
    "assert_gradient",
    "assert_shape",
    "assert_true",
    "call_unchanged",
    "compare_nodes",
    "local_variables",
    "no_warnings",
]


class CheckFailure(AssertionError):
    """A test-cell check failed; the message explains how."""


def _fail(what: str, detail: str, hint: str | None) -> None:
    lines = [f"{what}: {detail}"]
    if hint:
        lines.append(f"Hint: {hint}")
    raise CheckFailure("\n".join(lines))


def _describe(value) -> str:
    """A one-line description of a value's type, shape and dtype."""
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def _fmt(x) -> str:
    return np.array2string(np.asarray(x), precision=6, threshold=20, edgeitems=3, separator=", ")


def assert_shape(received, shape: tuple, *, name: str = "result", hint: str | None = None) -> None:
    """Check that ``received`` is an ndarray of the given shape."""
    if not isinstance(received, np.ndarray):
        _fail(name, f"expected an ndarray of shape {tuple(shape)}, "
              f"received {_describe(received)}", hint)
    if received.shape != tuple(shape):
        _fail(name, f"expected shape {tuple(shape)}, received shape {received.shape}", hint)


def assert_close(
    received,
    expected,
    *,
    name: str = "result",
    rtol: float = 1e-7,
    atol: float = 1e-9,
    hint: str | None = None,
    dtype_kind: str | None = "f",
) -> None:
    """Check that ``received`` matches ``expected`` entry by entry.

    Shapes must agree exactly (no broadcasting): ``(n,)`` and ``(n, 1)`` differ.
    An entry passes when ``|received - expected| <= atol + rtol * |expected|``.

    Parameters
    ----------
    received, expected : array_like or float
        The student's value and the reference value.
    name : str
        What is being compared, as the student would write it.
    rtol, atol : float
        Relative and absolute tolerances.
    hint : str, optional
        The usual mistake behind a mismatch, printed below the details.
    dtype_kind : str or None
        Required ``dtype.kind`` of an array result ("f" float, "b" bool, "i"
        int); ``None`` accepts any numeric dtype.
    """
    exp = np.asarray(expected)
    if exp.ndim == 0:
        _assert_close_number(received, exp, name=name, rtol=rtol, atol=atol, hint=hint)
        return
    assert_shape(received, exp.shape, name=name, hint=hint)
    _assert_dtype(received, dtype_kind, name=name, hint=hint)
    rec = received.astype(float)
    expf = exp.astype(float)
    bad = ~np.isclose(rec, expf, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        _fail(name, _entries_differ(rec, expf, bad), hint)


def _assert_close_number(received, exp: np.ndarray, *, name: str, rtol: float, atol: float,
                         hint: str | None) -> None:
    """:func:`assert_close` when the expected value ``exp`` is a single number (0-d)."""
    if isinstance(received, np.ndarray) and received.ndim > 0:
        _fail(name, f"expected a single number, received {_describe(received)}", hint)
    if isinstance(received, (list, tuple, dict, str)) or received is None:
        _fail(name, f"expected a single number, received {_describe(received)}", hint)
    try:
        rec = np.asarray(received, dtype=float)
    except (TypeError, ValueError):
        _fail(name, f"expected a single number, received {_describe(received)}", hint)
    if not np.isfinite(rec) and np.isfinite(exp):
        _fail(name, f"expected {float(exp)!r}, received {float(rec)!r}", hint)
    if not np.isclose(rec, exp, rtol=rtol, atol=atol, equal_nan=True):
        _fail(name, f"expected {float(exp)!r}, received {float(rec)!r} "
              f"(difference {abs(float(rec) - float(exp)):.3g})", hint)


def _assert_dtype(received: np.ndarray, dtype_kind: str | None, *, name: str,
                  hint: str | None) -> None:
    """The array holds numbers, of ``dtype.kind`` ``dtype_kind`` unless that is None."""
    if dtype_kind is not None and received.dtype.kind != dtype_kind:
        kinds = {"f": "floating point", "b": "boolean", "i": "integer"}
        _fail(name, f"expected a {kinds.get(dtype_kind, dtype_kind)} array, received dtype "
              f"{received.dtype}", hint)
    if not np.issubdtype(received.dtype, np.number) and received.dtype.kind != "b":
        _fail(name, f"expected numbers, received dtype {received.dtype}", hint)


def _entries_differ(rec: np.ndarray, expf: np.ndarray, bad: np.ndarray) -> str:
    """How many entries differ (``bad``), the first of them, and both arrays when small."""
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f"[{', '.join(map(str, idx))}]"
    detail = (f"{int(bad.sum())} of {bad.size} entries differ; the first is {where}: "
              f"expected {float(expf[idx])!r}, received {float(rec[idx])!r}")
    if bad.size <= 50:
        detail += f"\n  expected:\n{_fmt(expf)}\n  received:\n{_fmt(rec)}"
    return detail


def assert_equal(received, expected, *, name: str = "result", hint: str | None = None) -> None:
    """Check exact equality of plain values (bool, int, str, tuples of them).

    ``True`` and ``np.True_`` count as equal; ``1`` and ``True`` do not.
    """
    def kind(v):
        if isinstance(v, (bool, np.bool_)):
            return bool
        if isinstance(v, (int, np.integer)):
            return int
        return type(v)

    if kind(received) is not kind(expected):
        _fail(name, f"expected a {kind(expected).__name__} ({expected!r}), received "
              f"{_describe(received)} ({received!r})", hint)
    if received != expected:
        _fail(name, f"expected {expected!r}, received {received!r}", hint)


def assert_true(condition: bool, message: str, *, hint: str | None = None) -> None:
    """Fail with ``message`` (and ``hint``) unless ``condition`` holds."""
    if not condition:
        _fail("check failed", message, hint)


_PLAIN = (bool, int, float, complex, str, bytes, type(None), np.generic)


class _Untracked:
    """Stands in a snapshot for a value that cannot be copied or compared (a function, an rng)."""


def _snapshot(value, depth: int = 0):
    """A copy of ``value`` to compare with after the call: arrays, plain values and the
    containers holding them; anything else is :class:`_Untracked`."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if depth > 32:  # a container that holds itself
        return _Untracked()
    if isinstance(value, dict):
        return {k: _snapshot(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_snapshot(v, depth + 1) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, _PLAIN):
        return value
    return _Untracked()


def _same_plain(before, after) -> bool:
    if type(after) is not type(before):
        return False
    if before == after:
        return True
    # NaN stays NaN: not a change
    return bool(isinstance(before, (float, np.floating)) and np.isnan(before) and np.isnan(after))


def _changed(before, after, path: str = "") -> str | None:
    """Describe how ``after`` differs from the snapshot ``before``, or None.

    Containers (dicts, lists, tuples, any nesting) are compared element by element, so an
    array edited in place inside ``params`` is found and named by its path below the
    argument: ``['W'][2, 1]``, ``[1][0]``.  ``path`` is the path of ``before`` so far.
    """
    if isinstance(before, _Untracked):
        return None
    if isinstance(before, np.ndarray):
        return _array_changed(before, after, path)
    if isinstance(before, dict):
        return _dict_changed(before, after, path)
    if isinstance(before, (list, tuple)):
        return _sequence_changed(before, after, path)
    if not _same_plain(before, after):
        return f"{path or 'it'} was {before!r} and is now {after!r}"
    return None


def _array_changed(before: np.ndarray, after, path: str) -> str | None:
    """:func:`_changed` for an array: its type, shape, dtype, then its first changed entry."""
    at = f"{path}: " if path else ""
    if not isinstance(after, np.ndarray):
        return f"{path or 'it'} was an ndarray and is now {_describe(after)}"
    if after.shape != before.shape:
        return f"{at}its shape changed from {before.shape} to {after.shape}"
    if after.dtype != before.dtype:
        return f"{at}its dtype changed from {before.dtype} to {after.dtype}"
    return _entry_changed(before, after, path)


def _entry_changed(before: np.ndarray, after: np.ndarray, path: str) -> str | None:
    """The first entry of two arrays of one shape and dtype that differs (NaN equals NaN)."""
    if before.dtype.kind in "fc":
        diff = ~((before == after) | (np.isnan(before) & np.isnan(after)))
    else:
        diff = before != after
    diff = np.asarray(diff, dtype=bool)
    if not diff.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(diff)[0]) if diff.ndim else ()
    entry = f"{path}[{', '.join(map(str, idx))}]" if path else f"entry {list(idx)}"
    return f"{entry} was {before[idx].item()!r} and is now {after[idx].item()!r}"


def _dict_changed(before: dict, after, path: str) -> str | None:
    """:func:`_changed` for a dict: its type, its keys, then each value in turn."""
    if not isinstance(after, dict):
        return f"{path or 'it'} was a dict and is now {_describe(after)}"
    added = [k for k in after if k not in before]
    removed = [k for k in before if k not in after]
    if added or removed:
        parts = ([f"key {k!r} was added" for k in added]
                 + [f"key {k!r} was removed" for k in removed])
        return (f"{path}: " if path else "") + ", ".join(parts)
    for key, value in before.items():
        change = _changed(value, after[key], f"{path}[{key!r}]")
        if change:
            return change
    return None


def _sequence_changed(before: list | tuple, after, path: str) -> str | None:
    """:func:`_changed` for a list or a tuple: its type, its length, then each item in turn."""
    if not isinstance(after, (list, tuple)):
        return f"{path or 'it'} was a {type(before).__name__} and is now {_describe(after)}"
    if len(after) != len(before):
        at = f"{path}: " if path else ""
        return (f"{at}its length changed from {len(before)} to {len(after)} "
                f"(it was {before!r} and is now {after!r})")
    for i, (b, a) in enumerate(zip(before, after)):
        change = _changed(b, a, f"{path}[{i}]")
        if change:
            return change
    return None


def call_unchanged(fn, *args, **kwargs):
    """Call ``fn(*args, **kwargs)`` and check that it left its arguments unchanged.

    Returns whatever ``fn`` returns.  A function that edits an input array in
    place (``x[x < 0] = 0``, ``X -= X.mean(0)``), also inside a dict or a list
    argument (``params["W"] -= lr * dW``), fails with the argument's name, the
    path to the changed array (``params['W'][2, 1]``) and the first changed entry.
    """
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        named = list(bound.arguments.items())
    except (TypeError, ValueError):
        named = [(f"args[{i}]", a) for i, a in enumerate(args)] + list(kwargs.items())
    before = [(n, v, _snapshot(v)) for n, v in named]
    result = fn(*args, **kwargs)
    fname = getattr(fn, "__name__", "the function")
    for n, value, snap in before:
        change = _changed(snap, value, n if isinstance(snap, (dict, list, tuple)) else "")
        if change:
            _fail(f"{fname} changed its input {n!r}", change,
                  "A graded function must not modify its inputs. Compute into a new array "
                  "(x = x.copy(), np.where, out-of-place arithmetic, a new dict) instead of "
                  "assigning into or using +=, -= on an argument or an array inside it.")
    return result


def _slope(f, W, v, h):
    """The slope of ``f`` at ``W`` along ``v`` from two evaluations, and its round-off bound."""
    up, down = float(f(W + h * v)), float(f(W - h * v))
    return (up - down) / (2 * h), 16 * np.finfo(float).eps * (abs(up) + abs(down)) / (2 * h)


def _factor_hint(ratio: float) -> str:
    """The usual mistake behind a gradient that is the true one times ``ratio``."""
    for value, text in [(-1.0, "its sign is flipped (a minus sign lost, or y - z for z - y)"),
                        (0.0, "it is zero where it should not be (a mask that is never on?)"),
                        (2.0, "it is twice too large (a factor 2 counted twice?)"),
                        (0.5, "it is half the right size (a factor 2 forgotten, as in x**2?)"),
                        (-2.0, "its sign is flipped and it is twice too large"),
                        (-0.5, "its sign is flipped and it is half the right size")]:
        if abs(ratio - value) < 1e-3:
            return text
    if ratio > 1:
        return (f"it is {ratio:.4g} times too large: a missing 1/t (the gradient of the MEAN "
                "over the batch) or another constant factor?")
    return (f"it is {1 / ratio:.4g} times too small: an extra 1/t, or another constant "
            "factor?" if ratio > 0 else f"it has the wrong sign and the wrong size "
            f"(a factor {ratio:.4g})")


def assert_gradient(analytic, f, W, *, name: str = "gradient", hint: str | None = None,
                    h: float = 1e-5) -> None:
    """Check an analytic gradient of a scalar function ``f`` at the array ``W``.

    The check never computes a numerical gradient.  It compares slopes: along a few random
    unit directions ``v``, the change of ``f`` over a small step, ``(f(W + h v) - f(W - h v))
    / 2h``, must equal the slope your gradient predicts, ``sum(analytic * v)``, to about one
    part in a million of the gradient's length.  When a direction disagrees, directions
    restricted to smaller and smaller sets of entries find one wrong entry.

    Returns nothing: it passes silently or raises :class:`CheckFailure` saying what is wrong
    (the shape, the entry, the value received and, in words, which way it is off, and the
    usual mistake when the whole gradient is off by a sign or a constant factor), never the
    slope it measured.  ``W`` is not modified.

    Parameters
    ----------
    analytic : ndarray, shape of ``W``
        The gradient under test.
    f : callable
        ``f(W) -> float``.
    W : ndarray, any shape
        The point.
    """
    W = np.asarray(W, dtype=float)
    g = _gradient_as_floats(analytic, W.shape, name=name, hint=hint)
    length = float(np.sqrt(np.sum(g * g)))
    mismatch = _slope_test(f, W, g, h, length)
    everywhere = np.ones(W.shape, dtype=bool)
    results = [mismatch(everywhere) for _ in range(6)]
    if not any(bad for _, _, bad in results):
        return
    lines = _directions_verdict(results, length)
    found = _bisect_wrong_entry(mismatch, W.shape)
    if found is not None:
        lines += _entry_verdict(mismatch, g, found)
    _fail(name, "\n  ".join(lines), hint)


def _gradient_as_floats(g, shape: tuple, *, name: str, hint: str | None) -> np.ndarray:
    """``g`` as a float array, after checking its type, shape, dtype and that it is finite."""
    if not isinstance(g, np.ndarray) or g.shape != shape:
        _fail(name, f"a gradient has the shape of its variable {shape}, received "
              f"{_describe(g) if not isinstance(g, np.ndarray) else f'shape {g.shape}'}", hint)
    if not (np.issubdtype(g.dtype, np.number) or g.dtype.kind == "b"):
        _fail(name, f"expected numbers, received dtype {g.dtype}", hint)
    g = g.astype(float)
    if not np.all(np.isfinite(g)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(g))[0])
        _fail(name, f"entry {list(idx)} is {float(g[idx])!r}", hint)
    return g


def _slope_test(f, W: np.ndarray, g: np.ndarray, h: float, length: float):
    """``mismatch(mask)``: the slope ``g`` predicts and the slope of ``f`` measured along a
    random unit direction inside ``mask``, and whether they disagree.

    The directions come from one generator seeded once: the same directions, in the same
    order, every run, so the same verdict.
    """
    rng = np.random.default_rng(577)

    def mismatch(mask):
        v = np.where(mask, rng.standard_normal(W.shape), 0.0)
        v /= max(float(np.sqrt(np.sum(v * v))), 1e-300)
        measured, noise = _slope(f, W, v, h)
        predicted = float(np.sum(g * v))
        off = abs(predicted - measured)
        return predicted, measured, off > 1e-6 * max(length, abs(measured)) + noise

    return mismatch


def _directions_verdict(results: list, length: float) -> list[str]:
    """The first lines of an :func:`assert_gradient` failure: how many of the random
    directions disagree and, when they all disagree the same way, the usual mistake."""
    predicted = np.array([p for p, _, _ in results])
    measured = np.array([m for _, m, _ in results])
    lines = [f"your gradient predicts the wrong change of f along {sum(b for *_, b in results)} "
             f"of 6 random directions"]
    if np.sum(measured * measured) > 0:
        ratio = float(predicted @ measured / (measured @ measured))
        if np.max(np.abs(predicted - ratio * measured)) <= 1e-4 * np.max(np.abs(measured)):
            lines.append(f"everywhere the same way: {_factor_hint(ratio)}")
    elif length > 0:
        lines.append("f does not change along any of them, but your gradient is not zero")
    return lines


def _only(indices, shape: tuple) -> np.ndarray:
    """A mask of ``shape`` that is True at the flat ``indices`` only."""
    mask = np.zeros(int(np.prod(shape)), dtype=bool)
    mask[indices] = True
    return mask.reshape(shape)


def _bisect_wrong_entry(mismatch, shape: tuple):
    """The flat index of one wrong entry, or None: directions restricted to halves of a
    mismatching set of entries narrow it down to one."""
    for _ in range(3):  # a few tries: a wrong half can hide behind an unlucky direction
        candidates = np.arange(int(np.prod(shape)))
        while candidates.size > 1:
            for half in np.array_split(candidates, 2):
                if mismatch(_only(half, shape))[2]:
                    candidates = half
                    break
            else:
                break
        if candidates.size == 1:
            return candidates[0]
    return None


def _entry_verdict(mismatch, g: np.ndarray, found) -> list[str]:
    """The lines that name the wrong entry ``found`` (a flat index) and, in words, how it is
    wrong: the measured slope itself would be the answer, so it is never given."""
    idx = tuple(int(i) for i in np.unravel_index(found, g.shape))
    predicted, measured, _ = mismatch(_only(found, g.shape))
    if predicted * measured < 0:
        how = "f changes the other way along this entry: the sign is wrong"
    elif measured == 0:
        how = "f does not change along this entry, but your value is not zero"
    elif abs(predicted) > abs(measured):
        how = "f changes more slowly along this entry than your value says"
    else:
        how = "f changes faster along this entry than your value says"
    lines = [f"entry [{', '.join(map(str, idx))}] is wrong: you have {float(g[idx])!r}; {how}"]
    if g.ndim == 2:
        lines.append(f"(row {idx[0]}, column {idx[1]}; other entries may be wrong too)")
    return lines


def local_variables(fn, *args, **kwargs):
    """Call ``fn(*args, **kwargs)`` and return ``(result, variables)``: what it returns and the
    local variables it held when it returned (its intermediate ``dz``, ``dh``, ... for instance).
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        raise TypeError("local_variables: give a Python function")
    seen = {}
    before = sys.getprofile()

    def watch(frame, event, arg):
        if event == "return" and frame.f_code is code:
            seen.clear()
            seen.update(frame.f_locals)

    sys.setprofile(watch)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(before)
    return result, dict(seen)


def _verdict(message: str) -> str:
    """The part of an :func:`assert_gradient` failure that says how it is wrong, on one line."""
    parts = [p.strip() for p in message.split("\n")]
    keep = [p for p in parts if p.startswith(("everywhere the same way", "entry ", "a gradient has",
                                               "f does not change", "expected numbers"))]
    text = "; ".join(keep or parts[:1])
    return text.replace("f changes", "the loss changes").replace("of f ", "of the loss ").replace(
        "f does not", "the loss does not").replace("everywhere the same way: ", "")


def compare_nodes(grads: dict, at: dict, graph: dict, *, show: bool = True) -> dict:
    """Check the gradient of every node of a computational graph, one line per node.

    For each node ``x`` of ``graph`` (in its order), ``grads["d" + x]`` is compared with how the
    loss changes when ``at[x]`` is nudged and everything downstream is computed again: the
    slopes along random directions, as :func:`assert_gradient` does (no numerical gradient is
    ever formed). A node that is off is then checked on its own step: given the gradient you
    have for the node it feeds, is its gradient right? So the line of the step that is wrong
    says ``WRONG`` (with the entry and how it is wrong: sign, too large, too small), and the
    nodes below it that only inherit the error say so.

    Parameters
    ----------
    grads : dict
        Your gradients by name: ``{"dz": ..., "dU": ..., ...}``.
    at : dict
        The value of every node at the point of the check: ``{"z": ..., "U": ..., ...}``.
    graph : dict
        ``{x: (y, f)}``: node ``x`` feeds node ``y`` through ``y = f(x)`` (the other inputs of
        ``f`` held at their values in ``at``); ``y`` is ``None`` when ``f(x)`` is the loss.
    show : bool
        Print the lines (else only return them).

    Returns
    -------
    dict
        ``{x: (status, text)}`` with status ``"ok"``, ``"WRONG"``, ``"inherits"`` or
        ``"missing"``.
    """
    report = {name: _node_status(name, grads, at, graph) for name in graph}
    if show:
        width = max(len("d" + n) for n in graph)
        for name, (status, text) in report.items():
            shape = str(np.shape(at[name]))
            line = f"WRONG: {text}" if status == "WRONG" else text
            print(f"{'d' + name:<{width}}  {shape:<9} {line}")
    return report


def _loss_from(graph: dict, name: str, value, depth: int = 0) -> float:
    """The loss when node ``name`` of ``graph`` takes ``value`` and everything downstream of it
    is computed again."""
    child, f = graph[name]
    out = f(value)
    if child is None or depth > len(graph):
        return float(out)
    return _loss_from(graph, child, out, depth + 1)


def _gradient_verdict(g, f, value) -> str | None:
    """What :func:`assert_gradient` finds wrong with ``g`` as the gradient of ``f`` at
    ``value``, on one line; None when it passes."""
    try:
        assert_gradient(g, f, value, name="")
    except CheckFailure as failure:
        return _verdict(str(failure).partition(": ")[2])
    return None


def _node_status(name: str, grads: dict, at: dict, graph: dict) -> tuple[str, str]:
    """One node's ``(status, text)`` in :func:`compare_nodes`: its gradient against the loss
    and, when that is off, its own step against the gradient of the node it feeds."""
    child, f = graph[name]
    key = "d" + name
    if key not in grads:
        return "missing", f"no {key} among your gradients (name it {key})"
    value = np.asarray(at[name], dtype=float)
    wrong = _gradient_verdict(grads[key], lambda x: _loss_from(graph, name, x), value)
    if wrong is None:
        return "ok", "ok"
    upstream = None if child is None else grads.get("d" + child)
    if upstream is not None and np.shape(upstream) == np.shape(at[child]):
        u = np.asarray(upstream, dtype=float)
        if _gradient_verdict(grads[key], lambda x: float(np.sum(u * f(x))), value) is None:
            return "inherits", (f"off, but only because d{child} is: the step from d{child} to "
                                f"{key} is right")
    return "WRONG", wrong


@contextmanager
def no_warnings(what: str = "the code under test"):
    """Turn any warning raised inside the block into a failure that says which.

    A warning printed to stderr zeroes a graded cell, so tests catch warnings
    themselves and explain them (overflow in ``exp``, division by zero, ...).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # underflow stays ignored, as numpy has it by default: exp(-2e4) == 0 is harmless
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            yield
    if caught:
        w = caught[0]
        _fail(f"{what} raised a warning", f"{w.category.__name__}: {w.message}",
              "Warnings usually mean overflow or division by zero; use a numerically stable "
              "formulation (for instance np.where, or subtracting a maximum before exp).")
