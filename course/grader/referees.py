"""Finite differences and the relative error: the grader's referee for gradients.

Hidden tests judge every analytic gradient with these functions, so there is exactly one
definition of "passes a gradient check" in the grading: central differences and
``max|a - b| / max(1e-8, max(|a| + |b|))`` below ``1e-6`` in float64.

These two functions are the solutions of 04's graded ``numerical_gradient`` and ``rel_error``,
so they live here, in the grader's room, and never in what students receive: hidden tests
reach them as ``gradcheck`` in the judge's namespace (see :func:`course.judge.judge_namespace`)
or by ``from course.grader import referees``. Visible tests use the student-facing
:func:`course.checks.assert_gradient`, which gives a verdict and never a gradient.
"""

from __future__ import annotations

import numpy as np

from course.checks import _fail  # the same failure messages as every check

__all__ = ["central_gradient", "relative_error", "assert_gradient"]

TOLERANCE = 1e-6


def relative_error(a, b) -> float:
    """Relative error ``max|a - b| / max(1e-8, max(|a| + |b|))`` of two arrays."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b)))))


def central_gradient(f, W, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at the array ``W``.

    Parameters
    ----------
    f : callable
        ``f(W) -> float``.
    W : ndarray, any shape
        The point; it is nudged one entry at a time and restored, so it is
        unchanged afterwards.
    h : float
        Step of the differences.

    Returns
    -------
    ndarray, shape of ``W``
        ``(f(W + h e_i) - f(W - h e_i)) / 2h`` for each entry ``i``.
    """
    W = np.asarray(W)
    if W.dtype.kind != "f":
        raise TypeError(f"central_gradient needs a float array, got dtype {W.dtype}")
    grad = np.zeros_like(W, dtype=float)
    for i in np.ndindex(W.shape):
        old = W[i]
        try:
            W[i] = old + h
            plus = float(f(W))
            W[i] = old - h
            minus = float(f(W))
        finally:
            W[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def assert_gradient(analytic, f, W, *, name: str = "gradient", h: float = 1e-5,
                    tol: float = TOLERANCE, hint: str | None = None) -> None:
    """Check an analytic gradient against central differences of ``f`` at ``W``.

    Fails with the relative error, the worst entry and both values there.
    """
    numeric = central_gradient(f, W.copy(), h)
    analytic = np.asarray(analytic)
    if analytic.shape != numeric.shape:
        _fail(name, f"the gradient must have the shape of its variable {numeric.shape}, "
              f"received shape {analytic.shape}", hint)
    err = relative_error(analytic, numeric)
    if not err < tol:
        idx = np.unravel_index(int(np.argmax(np.abs(analytic - numeric))), numeric.shape)
        idx = tuple(int(i) for i in idx)
        _fail(name, f"relative error {err:.2e} against central differences (must be below "
              f"{tol:.0e}); worst entry {list(idx)}: analytic {float(analytic[idx])!r}, "
              f"numerical {float(numeric[idx])!r}", hint)
