"""What 01's prose says about its own demos, checked on its data and the reference answers."""

import numpy as np

from course import data


def test_the_step_sends_label_1_to_the_origin_and_label_0_to_two_corners():
    """01: after x @ W + b and step, both label-1 points are at (0, 0), the label-0 points at
    (1, 0) (from (1, 1)) and (0, 1) (from (0, 0)), and g1 + g2 = 1/2 has label 1 below it."""
    from notebook_code import run_until

    ns = run_until("01-linearity-xor", "code-20")
    X, y = ns["X_xor"], ns["y_xor"]
    G = ns["stages"][2][1]  # the picture's last stage, step(x @ W + b)
    np.testing.assert_array_equal(G[y == 1], [[0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(G[np.all(X == (1, 1), axis=1)], [[1.0, 0.0]])
    np.testing.assert_array_equal(G[np.all(X == (0, 0), axis=1)], [[0.0, 1.0]])
    below = G.sum(axis=1) < 0.5
    np.testing.assert_array_equal(below, y == 1)


def test_the_sentence_table_reads_the_xor_labels_as_negative_sentences(capsys):
    from notebook_code import run_until

    run_until("01-linearity-xor", "code-06")
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if line.startswith("It was")]
    assert len(rows) == len(data.NEGATION_SENTENCES) == 4
    for row, (sentence, sentiment) in zip(rows, data.NEGATION_SENTENCES):
        x1, x2, xor_label, printed_sentiment = (int(float(v)) for v in row[-4:])
        assert " ".join(row[:-4]) == sentence and printed_sentiment == sentiment
        assert xor_label == 1 - sentiment == int(x1 != x2)
