"""Typical mistakes in 05-softmax-cross-entropy, each a small edit of the reference solution.

The tests submit each one as its own student and require it to lose points on its
own exercise and nowhere else; the demo's ``typical-mistakes`` student makes the
ones listed in ``DEMO`` together.  This file is instructor material: nbgrader's
``CourseDirectory.ignore`` keeps it out of ``release/``.
"""

from course.grader.submissions import Mistake, Variant

MISTAKES = [
    # softmax
    Mistake("softmax-no-max-subtraction", "softmax",
            "s = z - np.max(z, axis=-1, keepdims=True)  # largest entry of each row is 0",
            "s = z", "uses exp(z) directly: overflow (inf / inf = nan) for logits of 1e4"),
    Mistake("softmax-wrong-axis", "softmax",
            "return e / np.sum(e, axis=-1, keepdims=True)", "return e / np.sum(e, axis=0, keepdims=True)",
            "normalises over the batch (axis 0) instead of over the classes"),
    Mistake("softmax-global-max", "softmax",
            "s = z - np.max(z, axis=-1, keepdims=True)  # largest entry of each row is 0",
            "s = z - np.max(z)",
            "subtracts one maximum for the whole batch: rows far below it underflow to 0 / 0"),
    # log_softmax
    Mistake("log-softmax-log-of-softmax", "log_softmax",
            "return s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True))",
            "return np.log(np.exp(s) / np.sum(np.exp(s), axis=-1, keepdims=True))",
            "takes the log of a softmax: log(0) = -inf when a class trails by 1e4"),
    Mistake("log-softmax-wrong-axis", "log_softmax",
            "return s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True))",
            "return s - np.log(np.sum(np.exp(s), axis=0, keepdims=True))",
            "sums the exponentials over the batch instead of over the classes"),
    # one_hot
    Mistake("one-hot-width-from-labels", "one_hot", "T = np.zeros((len(y), m))",
            "T = np.zeros((len(y), int(np.max(y)) + 1))",
            "takes the number of classes from the largest label instead of m"),
    Mistake("one-hot-integers", "one_hot", "T = np.zeros((len(y), m))",
            "T = np.zeros((len(y), m), dtype=int)", "returns an integer array"),
    # cross_entropy
    Mistake("ce-summed-not-averaged", "cross_entropy",
            "return float(-np.mean(log_p[np.arange(t), y]))",
            "return float(-np.sum(log_p[np.arange(t), y]))",
            "sums the losses over the batch instead of averaging"),
    Mistake("ce-log-of-softmax", "cross_entropy",
            "log_p = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))  # (t, m)",
            "log_p = np.log(np.exp(s) / np.sum(np.exp(s), axis=1, keepdims=True))  # (t, m)",
            "takes the log of the probabilities: infinite loss and a warning for logits of 1e4"),
    Mistake("ce-wrong-indexing", "cross_entropy",
            "return float(-np.mean(log_p[np.arange(t), y]))",
            "return float(-np.mean(log_p[:, y]))",
            "indexes log_p[:, y], a (t, t) block, instead of one entry per row"),
    # jacobian_diagonal
    Mistake("jacobian-diagonal-one-term", "jacobian_diagonal", "return o * (1.0 - o)  # (m,)",
            "return o.copy()  # (m,)",
            "keeps only f' g / g^2 of the quotient rule: forgets that the denominator depends on z_i"),
    Mistake("jacobian-diagonal-sign", "jacobian_diagonal", "return o * (1.0 - o)  # (m,)",
            "return o * (o - 1.0)  # (m,)",
            "swaps the two terms of the quotient rule: (f g' - f' g) / g^2, the sign flipped"),
    # jacobian_off_diagonal
    Mistake("jacobian-off-diagonal-sign", "jacobian_off_diagonal", "return float(-o[i] * o[j])",
            "return float(o[i] * o[j])", "loses the minus sign of -f g' / g^2"),
    Mistake("jacobian-off-diagonal-zero", "jacobian_off_diagonal", "return float(-o[i] * o[j])",
            "return 0.0", "thinks o_i depends on z_i only, forgetting the denominator"),
    Mistake("jacobian-off-diagonal-same-class", "jacobian_off_diagonal",
            "return float(-o[i] * o[j])", "return float(-o[i] * o[i])",
            "differentiates the denominator with respect to z_i instead of z_j"),
    # softmax_jacobian
    Mistake("jacobian-diagonal-only", "softmax_jacobian",
            "return np.diag(o) - np.outer(o, o)  # (m, m)",
            "return np.diag(o * (1 - o))  # (m, m)",
            "keeps only the diagonal o_i (1 - o_i): each output depends on every logit"),
    Mistake("jacobian-elementwise-product", "softmax_jacobian",
            "return np.diag(o) - np.outer(o, o)  # (m, m)",
            "return np.diag(o) - o * o  # (m, m)",
            "uses o * o (a vector, broadcast along rows) instead of the outer product"),
    Mistake("jacobian-sign", "softmax_jacobian",
            "return np.diag(o) - np.outer(o, o)  # (m, m)",
            "return np.outer(o, o) - np.diag(o)  # (m, m)",
            "assembles both cases with the sign flipped"),
    # cross_entropy_grad_one
    Mistake("ce-one-sign", "cross_entropy_grad_one", "g[y] -= 1.0\n    return g",
            "g[y] -= 1.0\n    return -g", "loses track of a minus sign: the gradient points uphill"),
    Mistake("ce-one-only-correct-logit", "cross_entropy_grad_one",
            "g = o.copy()  # (m,)\n    g[y] -= 1.0",
            "g = np.zeros_like(o)  # (m,)\n    g[y] = o[y] - 1.0",
            "uses only the diagonal of the Jacobian: forgets that the other logits move o_y"),
    Mistake("ce-one-stops-at-dL-do", "cross_entropy_grad_one",
            "g = o.copy()  # (m,)\n    g[y] -= 1.0",
            "g = np.zeros_like(o)  # (m,)\n    g[y] = -1.0 / o[y]",
            "stops after the first link of the chain: dL/do, not dL/dz"),
    # cross_entropy_grad
    Mistake("ce-grad-summed-not-averaged", "cross_entropy_grad", "return (o - T) / t",
            "return o - T", "forgets the / t: the gradient of the sum, not of the mean"),
    Mistake("ce-grad-sign", "cross_entropy_grad", "return (o - T) / t", "return (T - o) / t",
            "subtracts the wrong way round: T - o points uphill"),
    Mistake("ce-grad-divides-by-m", "cross_entropy_grad", "return (o - T) / t",
            "return (o - T) / m", "divides by the number of classes instead of the batch size"),
    # svm_loss
    Mistake("svm-counts-correct-class", "svm_loss",
            "    margins[np.arange(t), y] = 0.0  # the correct class does not count\n", "",
            "sums over all classes: the correct one adds the margin to every example"),
    Mistake("svm-summed-not-averaged", "svm_loss",
            "return float(np.mean(np.sum(margins, axis=1)))", "return float(np.sum(margins))",
            "sums the losses over the batch instead of averaging"),
    Mistake("svm-margin-ignored", "svm_loss", "S - correct + margin", "S - correct + 1.0",
            "hard-codes the margin 1 and ignores the argument"),
    # svm_loss_grad
    Mistake("svm-grad-summed-not-averaged", "svm_loss_grad", "return dS / t", "return dS",
            "forgets the / t: the gradient of the sum, not of the mean"),
    Mistake("svm-grad-counts-correct-class", "svm_loss_grad", "    active[rows, y] = 0.0\n", "",
            "counts the correct class's own term as active, off by one in its column"),
    Mistake("svm-grad-correct-class-sign", "svm_loss_grad",
            "dS[rows, y] = -np.sum(active, axis=1)", "dS[rows, y] = np.sum(active, axis=1)",
            "pushes the correct score up as if it were a wrong class: sign error"),
    Mistake("svm-grad-no-correct-class-term", "svm_loss_grad",
            "dS[rows, y] = -np.sum(active, axis=1)", "dS[rows, y] = 0.0",
            "forgets that the correct score appears, with a minus sign, in every active term"),
    # kl_divergence
    Mistake("kl-no-zero-mask", "kl_divergence", "keep = p > 0", "keep = np.ones(p.shape, dtype=bool)",
            "keeps the p = 0 terms: 0 * log(0) = nan and a warning"),
    Mistake("kl-reversed", "kl_divergence",
            "return float(np.sum(p[keep] * np.log(p[keep] / q[keep])))",
            "return float(np.sum(q[keep] * np.log(q[keep] / p[keep])))",
            "computes KL(q || p): the divergence is not symmetric"),
]

# The demo's "typical-mistakes" student.
DEMO = ["softmax-no-max-subtraction", "jacobian-diagonal-one-term", "ce-one-only-correct-logit",
        "ce-grad-summed-not-averaged", "svm-counts-correct-class", "svm-grad-no-correct-class-term"]

# Correct answers written another way: each must score full marks.
VARIANTS = [
    Variant("jacobian-diagonal-expanded", "jacobian_diagonal", "return o * (1.0 - o)  # (m,)",
            "return o - o**2  # (m,)", "the same derivative, multiplied out"),
    Variant("jacobian-off-diagonal-numpy-scalar", "jacobian_off_diagonal",
            "return float(-o[i] * o[j])", "return -(o[j] * o[i])",
            "a numpy float64 rather than a Python float, the factors in the other order"),
    Variant("jacobian-loops", "softmax_jacobian",
            "return np.diag(o) - np.outer(o, o)  # (m, m)",
            "m = len(o)\n"
            "    J = np.empty((m, m))\n"
            "    for i in range(m):\n"
            "        for j in range(m):\n"
            "            J[i, j] = o[i] * (1.0 - o[i]) if i == j else -o[i] * o[j]\n"
            "    return J  # (m, m)",
            "the two cases of exercises 5 and 6 filled in with loops"),
    Variant("ce-one-eye", "cross_entropy_grad_one",
            "g = o.copy()  # (m,)\n    g[y] -= 1.0\n    return g",
            "return o - np.eye(len(o))[y]", "the one-hot target as a row of the identity"),
    Variant("ce-grad-eye", "cross_entropy_grad",
            "T = np.zeros((t, m))\n    T[np.arange(t), y] = 1.0", "T = np.eye(m)[y]",
            "the one-hot targets as rows of the identity"),
    Variant("svm-grad-one-expression", "svm_loss_grad",
            "dS = active.copy()\n    dS[rows, y] = -np.sum(active, axis=1)",
            "dS = active - np.eye(S.shape[1])[y] * np.sum(active, axis=1, keepdims=True)",
            "the correct class's column filled by a one-hot mask in one expression"),
    Variant("jacobian-broadcast", "softmax_jacobian",
            "return np.diag(o) - np.outer(o, o)  # (m, m)",
            "return o[:, None] * (np.eye(len(o)) - o[None, :])  # (m, m)",
            "one broadcast expression instead of diag and outer"),
]

MISTAKES += [
    # hinge_at_init_10_classes
    Mistake("hinge-init-counts-correct-class", "hinge_at_init_10_classes",
            "hinge_at_init_10_classes = 9.0", "hinge_at_init_10_classes = 10.0",
            "gives the correct class a term too: m terms instead of m - 1"),
    Mistake("hinge-init-zero", "hinge_at_init_10_classes",
            "hinge_at_init_10_classes = 9.0", "hinge_at_init_10_classes = 0.0",
            "thinks equal scores cost nothing, forgetting that each term still holds the margin"),
    # cross_entropy_range
    Mistake("ce-range-of-probability", "cross_entropy_range",
            "cross_entropy_range = (0.0, np.inf)", "cross_entropy_range = (0.0, 1.0)",
            "gives the range of the probability o_y instead of the range of -log o_y"),
    Mistake("ce-range-sign", "cross_entropy_range",
            "cross_entropy_range = (0.0, np.inf)", "cross_entropy_range = (-np.inf, 0.0)",
            "forgets the minus sign: the range of log o_y"),
    # cross_entropy_at_init_10_classes
    Mistake("ce-init-probability", "cross_entropy_at_init_10_classes",
            "cross_entropy_at_init_10_classes = float(np.log(10))",
            "cross_entropy_at_init_10_classes = 0.1",
            "gives the probability 1/m of the correct class instead of its -log"),
    Mistake("ce-init-log2", "cross_entropy_at_init_10_classes",
            "cross_entropy_at_init_10_classes = float(np.log(10))",
            "cross_entropy_at_init_10_classes = float(np.log2(10))",
            "uses the base-2 logarithm instead of the natural one"),
]

VARIANTS += [
    Variant("hinge-init-integer", "hinge_at_init_10_classes",
            "hinge_at_init_10_classes = 9.0", "hinge_at_init_10_classes = 10 - 1",
            "an int expression rather than a float"),
    Variant("ce-range-list", "cross_entropy_range",
            "cross_entropy_range = (0.0, np.inf)", 'cross_entropy_range = [0, float("inf")]',
            "a list, an int and Python's own infinity"),
    Variant("ce-init-minus-log", "cross_entropy_at_init_10_classes",
            "cross_entropy_at_init_10_classes = float(np.log(10))",
            "cross_entropy_at_init_10_classes = -np.log(1 / 10)",
            "the definition -log(1/m), a numpy float"),
]
