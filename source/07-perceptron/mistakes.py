"""Typical mistakes in 07-perceptron, each a small edit of the reference solution.

The tests submit each one as its own student and require it to lose points on its
own exercise and nowhere else; the demo's ``typical-mistakes`` student makes the
ones listed in ``DEMO`` together.  This file is instructor material: nbgrader's
``CourseDirectory.ignore`` keeps it out of ``release/``.
"""

from course.grader.submissions import Mistake

MISTAKES = [
    # add_bias_column
    Mistake("bias-prepended", "add_bias_column",
            "np.column_stack([X, np.ones(len(X))])", "np.column_stack([np.ones(len(X)), X])",
            "puts the ones first, so the bias is not the last weight"),
    Mistake("bias-append-without-axis", "add_bias_column",
            "np.column_stack([X, np.ones(len(X))])", "np.append(X, np.ones(len(X)))",
            "np.append without axis flattens everything into one long vector"),
    # perceptron_predict
    Mistake("predict-strict-zero-negative", "perceptron_predict",
            "np.where(X @ w >= 0, 1, -1)", "np.where(X @ w > 0, 1, -1)",
            "uses > 0, so a score of exactly 0 (and everything at w = 0) is labelled -1"),
    Mistake("predict-np-sign", "perceptron_predict",
            "np.where(X @ w >= 0, 1, -1)", "np.sign(X @ w)",
            "np.sign returns 0 on the boundary, which is not a label"),
    Mistake("predict-zero-one-labels", "perceptron_predict",
            "np.where(X @ w >= 0, 1, -1)", "(X @ w >= 0).astype(int)",
            "returns 0/1 labels instead of -1/+1"),
    # perceptron_train
    Mistake("train-strict-mistake", "perceptron_train",
            "if y_i * (w @ x_i) <= 0:", "if y_i * (w @ x_i) < 0:",
            "counts only < 0 as a mistake, so from w = 0 it never updates"),
    Mistake("train-update-on-correct", "perceptron_train",
            "if y_i * (w @ x_i) <= 0:", "if y_i * (w @ x_i) > 0:",
            "updates on the correctly classified examples instead of the mistakes"),
    Mistake("train-forgets-label", "perceptron_train",
            "w = w + y_i * x_i", "w = w + x_i",
            "adds the example without its label, so negative examples push the wrong way"),
    Mistake("train-shuffles", "perceptron_train",
            "for x_i, y_i in zip(X, y):",
            "order = np.random.default_rng(0).permutation(len(X))\n"
            "        for x_i, y_i in zip(X[order], y[order]):",
            "shuffles the rows, so the updates and counts differ from the contract's order"),
    Mistake("train-cumulative-counts", "perceptron_train",
            "mistakes = 0\n", "mistakes = sum(mistakes_per_epoch)\n",
            "does not restart the count each epoch: the list is cumulative"),
    # perceptron_loss
    Mistake("loss-sum-not-mean", "perceptron_loss",
            "np.mean(np.maximum(0.0, -margins))", "np.sum(np.maximum(0.0, -margins))",
            "sums over the batch instead of averaging"),
    Mistake("loss-no-clipping", "perceptron_loss",
            "np.mean(np.maximum(0.0, -margins))", "np.mean(-margins)",
            "forgets max(0, .): correct examples give negative loss"),
    Mistake("loss-sign-flipped", "perceptron_loss",
            "np.mean(np.maximum(0.0, -margins))", "np.mean(np.maximum(0.0, margins))",
            "penalises the correct side instead of the wrong one"),
    # perceptron_loss_grad
    Mistake("grad-zero-at-kink", "perceptron_loss_grad",
            "if y * (w @ x) <= 0:", "if y * (w @ x) < 0:",
            "takes gradient 0 at the kink, so SGD never leaves w = 0"),
    Mistake("grad-sign-flipped", "perceptron_loss_grad",
            "return -y * np.asarray(x, dtype=float)", "return y * np.asarray(x, dtype=float)",
            "returns the update direction y x instead of the gradient -y x"),
    Mistake("grad-scalar-zero", "perceptron_loss_grad",
            "return np.zeros(len(w))", "return 0.0",
            "returns the number 0 instead of a zero vector of shape (d,)"),
    Mistake("grad-forgets-label", "perceptron_loss_grad",
            "return -y * np.asarray(x, dtype=float)", "return -np.asarray(x, dtype=float)",
            "differentiates as if y were always +1: the label is a constant factor of the loss"),
    # multiclass_perceptron_train
    Mistake("multiclass-ties-upward", "multiclass_perceptron_train",
            "y_hat = int(np.argmax(x_i @ W))",
            "y_hat = n_classes - 1 - int(np.argmax((x_i @ W)[::-1]))",
            "breaks argmax ties towards the highest index"),
    Mistake("multiclass-no-penalty", "multiclass_perceptron_train",
            "W[:, y_hat] -= x_i\n", "",
            "only rewards the true class and never pushes the predicted class down"),
    Mistake("multiclass-rows-per-class", "multiclass_perceptron_train",
            "W = np.zeros((X.shape[1], n_classes))\n",
            "W = np.zeros((X.shape[1], n_classes)).T\n",
            "keeps one ROW per class; the shapes differ from the contract's (d, n_classes)"),
    # one_vs_all_train
    Mistake("ova-zero-one-labels", "one_vs_all_train",
            "np.where(y == k, 1, -1)", "(y == k).astype(int)",
            "relabels with 1 and 0: a label 0 makes every example a mistake that changes nothing"),
    Mistake("ova-labels-inverted", "one_vs_all_train",
            "np.where(y == k, 1, -1)", "np.where(y == k, -1, 1)",
            "trains 'the rest' as the positive class, so the highest score means 'not k'"),
    Mistake("ova-rows-per-class", "one_vs_all_train",
            "np.column_stack(columns)", "np.vstack(columns)",
            "stacks the weight vectors as rows, shape (n_classes, d) instead of (d, n_classes)"),
]

# The demo's "typical-mistakes" student.
DEMO = ["predict-strict-zero-negative", "train-strict-mistake", "grad-zero-at-kink"]
