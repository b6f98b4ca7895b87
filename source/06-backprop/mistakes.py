"""Typical mistakes in 06-backprop, each a small edit of the reference solution.

The tests submit each one as its own student and require it to lose points on its
own exercise and nowhere else; the demo's ``typical-mistakes`` student makes the
ones listed in ``DEMO`` together.  This file is instructor material: nbgrader's
``CourseDirectory.ignore`` keeps it out of ``release/``.
"""

from course.grader.submissions import Mistake

MISTAKES = [
    # init_params
    Mistake("init-global-random", "init_params",
            "H = scale * rng.standard_normal((d, v))  # (d, v)",
            "H = scale * np.random.randn(d, v)  # (d, v)",
            "draws from np.random's global state, so the same rng does not give the same network"),
    Mistake("init-U-transposed", "init_params",
            "U = scale * rng.standard_normal((v, m))  # (v, m)",
            "U = scale * rng.standard_normal((m, v))  # (v, m)",
            "uses the column-vector shape (m, v) for U"),
    Mistake("init-ignores-scale", "init_params",
            "H = scale * rng.standard_normal((d, v))  # (d, v)\n"
            "    U = scale * rng.standard_normal((v, m))",
            "H = 0.01 * rng.standard_normal((d, v))  # (d, v)\n"
            "    U = 0.01 * rng.standard_normal((v, m))",
            "hard-codes 0.01 instead of using the scale argument"),
    # forward
    Mistake("forward-no-relu", "forward", "h = np.maximum(k, 0.0)  # (t, v)", "h = k  # (t, v)",
            "leaves out the nonlinearity: the network is linear again"),
    Mistake("forward-relu-in-place", "forward", "h = np.maximum(k, 0.0)  # (t, v)",
            "h = k  # (t, v)\n    h[h < 0] = 0.0",
            "applies the ReLU in place, so the cache's k loses its negative entries"),
    Mistake("forward-naive-softmax", "forward", "o = softmax(z)  # (t, m)",
            "o = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # (t, m)",
            "writes softmax without subtracting the maximum: overflow for large logits"),
    # loss
    Mistake("loss-sum-not-mean", "loss", "return float(-np.mean(log_o[np.arange(len(y)), y]))",
            "return float(-np.sum(log_o[np.arange(len(y)), y]))",
            "sums the batch instead of taking the mean"),
    Mistake("loss-wrong-indexing", "loss", "log_o[np.arange(len(y)), y]", "log_o[:, y]",
            "indexes with [:, y], which picks a (t, t) block instead of one entry per row"),
    Mistake("loss-log-of-o", "loss", "log_o = log_softmax(cache[\"z\"])  # (t, m)",
            "log_o = np.log(cache[\"o\"])  # (t, m)",
            "takes log(o), which is -inf (with a warning) when o rounds to 0"),
    # backward
    Mistake("backward-no-relu-mask", "backward", "dk = dh * (k >= 0)  # (t, v)", "dk = dh  # (t, v)",
            "forgets the ReLU mask: gradients flow through units that are off"),
    Mistake("backward-not-divided-by-t", "backward",
            "    dz = dz / t  # gradient of the mean over the batch\n", "",
            "computes the gradient of the sum, not of the mean"),
    Mistake("backward-dU-from-k", "backward", "dU = h.T @ dz  # (v, m)", "dU = k.T @ dz  # (v, m)",
            "uses the pre-activations k instead of the hidden features h"),
    Mistake("backward-bias-not-summed", "backward", "db_H = dk.sum(axis=0)", "db_H = dk",
            "keeps one bias gradient per example instead of summing over the batch"),
    Mistake("backward-relu-prime-zero", "backward", "dk = dh * (k >= 0)  # (t, v)", "dk = dh * (k > 0)  # (t, v)",
            "uses relu'(0) = 0, against the course's convention relu'(0) = 1"),
    Mistake("backward-edits-cache", "backward", "dz = o.copy()  # (t, m)", "dz = o  # (t, m)",
            "subtracts the one-hot labels from the cache's o in place"),
    Mistake("backward-no-one-hot", "backward", "    dz[np.arange(t), y] -= 1.0  # o - T\n", "",
            "derives dz as o / t: the derivative of -log o_y loses the -1 at the true class"),
    Mistake("backward-bias-mean", "backward", "db_U = dz.sum(axis=0)  # (m,)",
            "db_U = dz.mean(axis=0)  # (m,)",
            "averages the bias gradient over the batch although dz already holds the 1/t"),
    Mistake("backward-dH-transposed", "backward", "dH = F.T @ dk  # (d, v)",
            "dH = dk.T @ F  # (d, v)",
            "gets the order of the worked step wrong one layer down: dH of shape (v, d)"),
    # sgd_step
    Mistake("sgd-in-place", "sgd_step",
            'return {name: value - lr * grads["d" + name] for name, value in params.items()}',
            'for name in params:\n        params[name] -= lr * grads["d" + name]\n'
            "    return params",
            "updates the caller's arrays in place"),
    Mistake("sgd-ascent", "sgd_step", 'value - lr * grads["d" + name]',
            'value + lr * grads["d" + name]', "steps along the gradient: ascent, not descent"),
    # train
    Mistake("train-no-shuffle", "train", "order = rng.permutation(t)\n", "order = np.arange(t)\n",
            "visits the examples in the same order every epoch"),
    Mistake("train-global-random", "train", "order = rng.permutation(t)\n",
            "order = np.random.permutation(t)\n",
            "shuffles with np.random's global state instead of rng"),
    Mistake("train-drops-last-batch", "train", "for start in range(0, t, batch_size):",
            "for start in range(0, t - batch_size + 1, batch_size):",
            "drops the last, smaller mini-batch"),
    Mistake("train-history-last-batch", "train", "history.append(loss(params, F, y))",
            "history.append(loss(params, F[idx], y[idx]))",
            "records the loss of the last mini-batch instead of the whole training set"),
    # regression_net_grads
    Mistake("regression-sign", "regression_net_grads", "delta = -2.0 * (y - z)",
            "delta = 2.0 * (y - z)", "drops the minus sign of the inner derivative of (y - z)"),
    Mistake("regression-forgot-x", "regression_net_grads", '"dw1": delta * gate * x',
            '"dw1": delta * gate', "forgets the factor x in the gradient of w1"),
    Mistake("regression-no-relu-gate", "regression_net_grads", "gate = w2 * (a >= 0)",
            "gate = w2", "forgets relu'(a): units that are off still get gradient"),
]

# The demo's "typical-mistakes" student.
DEMO = ["backward-no-relu-mask", "backward-not-divided-by-t", "sgd-in-place"]
