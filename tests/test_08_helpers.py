"""The helpers of 08-embeddings: the shipped corpus, the word map, the embedding explorer."""

import base64

import numpy as np
from matplotlib.figure import Figure

from course import data, plots, widgets


def test_corpus_holds_the_lecture_negation_cases_with_their_labels():
    sentences, y = data.sentiment_corpus()
    assert len(sentences) == len(y) >= 30
    assert set(np.unique(y)) == {0, 1}
    labelled = dict(data.SENTIMENT_CORPUS)
    for sentence, label in data.NEGATION_SENTENCES:
        assert labelled[sentence] == label


def test_corpus_is_balanced_and_not_a_bag_of_words_problem():
    sentences, y = data.sentiment_corpus()
    assert abs(int(y.sum()) - len(y) / 2) <= 2
    # "not" flips: both labels occur with and without it
    has_not = np.array(["not" in s.lower().split() for s in sentences])
    assert set(y[has_not]) == {0, 1} and set(y[~has_not]) == {0, 1}


def test_embedding_map_labels_every_word_and_marks_the_focus():
    fig = Figure()
    ax = fig.subplots()
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    plots.embedding_map(ax, points, ["a", "b", "c"], groups={"g": ["a", "b"]}, focus="a",
                        neighbours=["b"])
    assert [t.get_text() for t in ax.texts] == ["a", "b", "c"]
    assert len(ax.lines) == 1  # one line from the focus to its neighbour


def _nearest(E, vocab, word, k):
    i = vocab[word]
    sims = E @ E[i] / (np.linalg.norm(E, axis=1) * np.linalg.norm(E[i]))
    inverse = {j: w for w, j in vocab.items()}
    return [inverse[int(j)] for j in np.argsort(-sims, kind="stable") if j != i][:k]


def test_embedding_explorer_moves_with_the_slider_and_renders_headless():
    r = np.random.default_rng(0)
    vocab = {w: i for i, w in enumerate(["a", "b", "c", "d", "e"])}
    snapshots = [r.normal(size=(5, 3)) * (s + 1) for s in range(4)]
    w = widgets.embedding_explorer(snapshots, vocab, nearest=_nearest, steps=[0, 10, 20, 30],
                                   word="c", k=2)
    slider = w.controls["snapshot"]
    assert (slider.min, slider.max) == (0, 3)
    first = w.image.value
    slider.value = 2
    assert w.image.value != first
    w.controls["focus"].value = "a"
    bundle = w._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
