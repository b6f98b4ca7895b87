"""Small data sets for the notebooks, each drawn with an explicit ``rng``.

Inputs are row batches ``X`` of shape ``(n, d)``; class labels are integer
indices ``y`` of shape ``(n,)``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NEGATION_SENTENCES",
    "blobs",
    "circles",
    "regression_1d",
    "two_spirals",
    "xor",
]

#: The lecture's manufactured sentiment reading of XOR: (sentence, label) with
#: label 1 for positive.  "contains not" and "a word starts with un-" are the
#: two binary features; the label is 1 exactly when both or neither are on.
NEGATION_SENTENCES = (
    ("It was not ungood", 1),
    ("It was not good", 0),
    ("It was ungood", 0),
    ("It was good", 1),
)


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points in the lecture's order, with labels in ``{0, 1}``.

    Returns
    -------
    X : ndarray, shape (4, 2)
        ``(1, 1), (1, 0), (0, 1), (0, 0)``.
    y : ndarray, shape (4,)
        ``[0, 1, 1, 0]``: 1 exactly when one feature is on.
    """
    X = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    return X, y


def blobs(n: int, rng: np.random.Generator, k: int = 3, spread: float = 0.6,
          radius: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in ``k`` Gaussian blobs whose centres sit on a circle.

    Returns ``X`` of shape ``(n, 2)`` and labels ``y`` of shape ``(n,)`` in ``0..k-1``.
    """
    y = np.arange(n) % k
    angles = 2 * np.pi * np.arange(k) / k
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (k, 2)
    X = centres[y] + spread * rng.standard_normal((n, 2))
    return X, y


def circles(n: int, rng: np.random.Generator, noise: float = 0.08,
            factor: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: label 0 outside (radius 1), label 1 inside (``factor``)."""
    y = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 1, factor, 1.0)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return X + noise * rng.standard_normal((n, 2)), y


def two_spirals(n: int, rng: np.random.Generator, turns: float = 1.5,
                noise: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, ``n`` points in all, labels 0 and 1."""
    y = np.arange(n) % 2
    t = np.sqrt(rng.uniform(0.02, 1.0, n)) * turns * 2 * np.pi  # (n,)
    r = t / (turns * 2 * np.pi)
    angle = t + np.pi * y
    X = r[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return X + noise * rng.standard_normal((n, 2)), y


def regression_1d(n: int, rng: np.random.Generator, noise: float = 0.1,
                  low: float = -1.0, high: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of ``sin(3x) + x/2`` on ``[low, high]``, sorted by ``x``.

    Returns ``x`` of shape ``(n,)`` and ``y`` of shape ``(n,)``.
    """
    x = np.sort(rng.uniform(low, high, n))
    y = np.sin(3 * x) + 0.5 * x + noise * rng.standard_normal(n)
    return x, y
