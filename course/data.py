"""Small data sets for the notebooks, each drawn with an explicit ``rng``.

Inputs are row batches ``X`` of shape ``(n, d)``; class labels are integer
indices ``y`` of shape ``(n,)``.

Two label conventions hold in every notebook:

* XOR (:func:`xor`): label 1 exactly when one of the two features is on, the logical XOR of
  the features. The lecture's table gives the name "class 1" to the other two points (both
  features on, both off); only the names differ, the two groups are the same.
* Sentiment (:data:`NEGATION_SENTENCES`, :data:`SENTIMENT_CORPUS`): label 1 for positive,
  0 for negative, as in the lecture. In the sentence reading of XOR the features are
  :func:`negation_features`, and a sentence is negative exactly when their XOR is 1: its
  sentiment label is ``1 -`` its XOR label.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NEGATION_SENTENCES",
    "blobs",
    "linearly_separable",
    "negation_features",
    "circles",
    "regression_1d",
    "sentiment_corpus",
    "two_spirals",
    "xor",
]

#: The lecture's manufactured sentiment reading of XOR: (sentence, label) with label 1 for
#: positive, in the order of the XOR table's corners (:func:`xor`). The two binary features are
#: :func:`negation_features`; the sentiment label is 1 exactly when both or neither are on, so
#: it is ``1 -`` the XOR label of the sentence's corner.
NEGATION_SENTENCES = (
    ("It was not ungood", 1),
    ("It was not good", 0),
    ("It was ungood", 0),
    ("It was good", 1),
)


def negation_features(sentence: str) -> np.ndarray:
    """The two binary features of the lecture's sentence reading of XOR.

    Returns
    -------
    ndarray of float, shape (2,)
        ``[contains the word "not", has a word starting with "un"]``, each 0.0 or 1.0, on the
        words of ``sentence.lower().split()``.
    """
    words = sentence.lower().split()
    return np.array([float("not" in words), float(any(w.startswith("un") for w in words))])


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points in the lecture's order, with labels in ``{0, 1}``.

    Returns
    -------
    X : ndarray, shape (4, 2)
        ``(1, 1), (1, 0), (0, 1), (0, 0)``.
    y : ndarray, shape (4,)
        ``[0, 1, 1, 0]``: 1 exactly when one feature is on (the logical XOR). The lecture
        calls the other two points, both on and both off, its class 1.
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


# -- 07-perceptron and 08-embeddings ---------------------------------------------------------


def linearly_separable(n: int, rng: np.random.Generator, margin: float = 0.2,
                       low: float = 0.0, high: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in the square ``[low, high]^2`` split by the line ``x1 + x2 = 4``.

    Points closer to the line than ``margin`` are redrawn, so the two classes are
    separated by a gap of ``2 * margin`` and a perceptron is guaranteed to converge.

    Returns
    -------
    X : ndarray, shape (n, 2)
    y : ndarray of int, shape (n,)
        ``+1`` above the line (``x1 + x2 > 4``), ``-1`` below it.
    """
    w, b = np.array([1.0, 1.0]), -4.0
    kept = np.empty((0, 2))
    while len(kept) < n:
        P = rng.uniform(low, high, size=(2 * n, 2))
        distance = (P @ w + b) / np.linalg.norm(w)  # (2n,)
        kept = np.vstack([kept, P[np.abs(distance) >= margin]])
    X = kept[:n]
    y = np.where(X @ w + b > 0, 1, -1)
    return X, y


#: A small sentiment corpus for 08-embeddings: (sentence, label), label 1 for positive and 0
#: for negative, the convention of :data:`NEGATION_SENTENCES`.
#: It holds the lecture's four negation cases and, around them, the same pattern for other
#: words: "not" flips the sentiment of the word after it, and so does the prefix "un-".
SENTIMENT_CORPUS = (
    # the lecture's four negation cases
    ("It was good", 1),
    ("It was not good", 0),
    ("It was ungood", 0),
    ("It was not ungood", 1),
    # plain positive and negative words
    ("It was great", 1),
    ("It was fine", 1),
    ("It was fun", 1),
    ("It was bad", 0),
    ("It was awful", 0),
    ("It was dull", 0),
    ("The film was good", 1),
    ("The film was great", 1),
    ("The film was fun", 1),
    ("The film was bad", 0),
    ("The film was dull", 0),
    ("The film was unfunny", 0),
    ("The food was fine", 1),
    ("The food was great", 1),
    ("The food was awful", 0),
    ("The food was bad", 0),
    ("The play was good", 1),
    ("The play was fun", 1),
    ("The play was awful", 0),
    ("The play was dull", 0),
    # negation flips the word after it
    ("It was not bad", 1),
    ("It was not awful", 1),
    ("It was not dull", 1),
    ("It was not great", 0),
    ("It was not fun", 0),
    ("The film was not bad", 1),
    ("The film was not good", 0),
    ("The film was not unfunny", 1),
    ("The food was not awful", 1),
    ("The food was not fine", 0),
    ("The play was not dull", 1),
    ("The play was not great", 0),
    ("The play was not ungood", 1),
    ("The play was ungood", 0),
)


def sentiment_corpus() -> tuple[list[str], np.ndarray]:
    """The sentences of :data:`SENTIMENT_CORPUS` and their labels.

    Returns
    -------
    sentences : list of str, length t
    y : ndarray of int, shape (t,)
        1 for positive, 0 for negative.
    """
    sentences = [sentence for sentence, _ in SENTIMENT_CORPUS]
    y = np.array([label for _, label in SENTIMENT_CORPUS])
    return sentences, y


# -- 07-perceptron: small images for the weights-as-templates picture ------------------------

__all__ += ["GLYPH_NAMES", "glyphs"]

#: The four 5 x 5 glyphs of :func:`glyphs`, in the order of their labels.
GLYPH_NAMES = ("|", "-", "/", "\\")


def _glyph_templates() -> np.ndarray:
    """The clean 5 x 5 glyphs of :data:`GLYPH_NAMES`, shape (4, 5, 5), pixels 0 or 1."""
    T = np.zeros((4, 5, 5))
    T[0, :, 2] = 1.0  # |
    T[1, 2, :] = 1.0  # -
    T[2] = np.fliplr(np.eye(5))  # /
    T[3] = np.eye(5)  # \
    return T


def glyphs(n: int, rng: np.random.Generator, flip: float = 0.2,
           shift: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy 5 x 5 images of four strokes (:data:`GLYPH_NAMES`), flattened.

    Each image is the clean glyph of its class, moved by at most one pixel across its stroke
    when ``shift`` (``|`` and the diagonals left or right, ``-`` up or down; what leaves the
    picture is lost, what enters is blank), then each pixel is flipped (0 to 1, 1 to 0) with
    probability ``flip``.

    Returns
    -------
    X : ndarray of float, shape (n, 25)
        Row ``i`` is image ``i`` read row by row (``X[i].reshape(5, 5)`` is the picture).
    y : ndarray of int, shape (n,)
        Labels ``0..3`` in the order of :data:`GLYPH_NAMES`, cycling ``0, 1, 2, 3, 0, ...``.
    """
    T = _glyph_templates()
    y = np.arange(n) % 4
    images = T[y].copy()  # (n, 5, 5)
    moves = rng.integers(-1, 2, size=n) if shift else np.zeros(n, dtype=int)
    for i in range(n):
        axis = 0 if y[i] == 1 else 1  # "-" moves up or down, the others left or right
        moved = np.roll(images[i], moves[i], axis=axis)
        if moves[i] != 0:  # no wrapping around: the line that came in from the edge is blank
            edge = 0 if moves[i] > 0 else -1
            if axis == 0:
                moved[edge, :] = 0.0
            else:
                moved[:, edge] = 0.0
        images[i] = moved
    flips = rng.random(images.shape) < flip
    images = np.where(flips, 1.0 - images, images)
    return images.reshape(n, 25), y


# -- 08-embeddings: sentences the classifier never trains on ----------------------------------

__all__ += ["HELD_OUT_SENTENCES", "held_out_sentences"]

#: Sentences 08-embeddings holds out from training, by group: (sentence, label), label 1 for
#: positive. None of them is in :data:`SENTIMENT_CORPUS`. "new pairs, trained positions": known
#: words, every word in a position (slot) where training had it, but pairs ("not" with this
#: word, this word after this noun) that training never showed. "one word later": the word
#: "today" (not in the vocabulary) after the noun moves every later word one slot to the right,
#: into slots where training never put it.
HELD_OUT_SENTENCES = {
    "new pairs, trained positions": (
        ("It was not fine", 0),
        ("It was not unfunny", 1),
        ("The food was not good", 0),
        ("The film was not great", 0),
        ("The film was not dull", 1),
        ("The food was not bad", 1),
        ("The play was not bad", 1),
        ("The film was not fine", 0),
    ),
    "one word later": (
        ("The food today was not good", 0),
        ("The film today was not bad", 1),
        ("The play today was not fun", 0),
        ("The food today was not awful", 1),
        ("The food today was good", 1),
        ("The film today was bad", 0),
        ("The play today was fun", 1),
        ("The food today was awful", 0),
    ),
}


def held_out_sentences() -> dict[str, tuple[list[str], np.ndarray]]:
    """The groups of :data:`HELD_OUT_SENTENCES` as ``{group: (sentences, y)}``.

    ``y`` is an int array of shape ``(len(sentences),)``, 1 for positive and 0 for negative.
    """
    return {group: ([s for s, _ in rows], np.array([label for _, label in rows]))
            for group, rows in HELD_OUT_SENTENCES.items()}
