"""Typical mistakes in 01-linearity-xor, each a small edit of the reference solution.

The tests submit each one as its own student and require it to lose points on its
own exercise and nowhere else; the demo's ``typical-mistakes`` student makes the
ones listed in ``DEMO`` together.  This file is instructor material: nbgrader's
``CourseDirectory.ignore`` keeps it out of ``release/``.
"""

from course.grader.submissions import Mistake

MISTAKES = [
    # affine_check
    Mistake("affine-forgot-C", "affine_check",
            "C = np.asarray(f(np.zeros_like(x1, dtype=float)), dtype=float)", "C = 0.0",
            "tests linearity f(x + x') = f(x) + f(x'), so an affine map with a bias fails"),
    Mistake("affine-exact-equality", "affine_check",
            "return float(np.max(np.abs(a - b))) <= 1e-9 * scale", "return bool(np.all(a == b))",
            "compares floats with ==, so rounding makes true affine maps fail"),
    Mistake("affine-homogeneity-x1-only", "affine_check",
            " and close(g(lam * x2), lam * g(x2))", "",
            "checks f(lam x) only for x1, so x**2 passes when x1 = 0"),
    # fit_least_squares
    Mistake("lstsq-forgot-bias", "fit_least_squares",
            "A = np.column_stack([X, np.ones(len(X))])  # (t, d + 1)\n"
            "    theta = np.linalg.lstsq(A, y, rcond=None)[0]  # (d + 1,)\n"
            "    return theta[:-1], float(theta[-1])",
            "w = np.linalg.lstsq(X, y, rcond=None)[0]\n    return w, 0.0",
            "fits a line through the origin: no column of ones"),
    Mistake("lstsq-bias-left-in-w", "fit_least_squares",
            "return theta[:-1], float(theta[-1])", "return theta, float(theta[-1])",
            "returns all d + 1 coefficients as w"),
    Mistake("lstsq-b-as-array", "fit_least_squares",
            "return theta[:-1], float(theta[-1])", "return theta[:-1], theta[-1:]",
            "returns b as an array of shape (1,) instead of a float"),
    Mistake("lstsq-centres-X-in-place", "fit_least_squares",
            "A = np.column_stack([X, np.ones(len(X))])  # (t, d + 1)\n"
            "    theta = np.linalg.lstsq(A, y, rcond=None)[0]  # (d + 1,)\n"
            "    return theta[:-1], float(theta[-1])",
            "x_mean = X.mean(axis=0)\n"
            "    X -= x_mean\n"
            "    w = np.linalg.lstsq(X, y - y.mean(), rcond=None)[0]\n"
            "    return w, float(y.mean() - x_mean @ w)",
            "centres the data to find the bias, but subtracts the mean from the caller's X"),
    Mistake("lstsq-normal-equations", "fit_least_squares",
            "theta = np.linalg.lstsq(A, y, rcond=None)[0]  # (d + 1,)",
            "theta = np.linalg.pinv(A.T @ A, hermitian=True, rcond=1e-20) @ A.T @ y",
            "solves the normal equations, which square the condition number and lose the "
            "minimum-norm solution when the fit is not unique"),
    Mistake("lstsq-hard-coded-xor", "fit_least_squares",
            "A = np.column_stack([X, np.ones(len(X))])  # (t, d + 1)\n"
            "    theta = np.linalg.lstsq(A, y, rcond=None)[0]  # (d + 1,)\n"
            "    return theta[:-1], float(theta[-1])",
            "return np.zeros(X.shape[1]), 0.5",
            "hard-codes the answer of the visible test; the hidden tests use other data"),
    # linear_layer
    Mistake("layer-forgot-bias", "linear_layer", "return X @ W + b", "return X @ W",
            "forgets the bias"),
    Mistake("layer-transposed-weights", "linear_layer", "return X @ W + b", "return X @ W.T + b",
            "uses the column-vector convention W x, transposed for rows"),
    # compose_linear
    Mistake("compose-column-order", "compose_linear", "W = W0 @ W1", "W = W1.T @ W0.T",
            "multiplies in the lecture's column order: the transpose of the right answer"),
    Mistake("compose-bias-not-mapped", "compose_linear", "b = b0 @ W1 + b1",
            "b = b1 + b0.sum() * np.ones_like(b1)",
            "adds the first bias without passing it through the second layer"),
    Mistake("compose-bias-column-form", "compose_linear", "b = b0 @ W1 + b1",
            "b = W1 @ b0 + b1",
            "copies the lecture's column-vector form W1 b0 for a row bias"),
    Mistake("compose-forgot-first-bias", "compose_linear", "b = b0 @ W1 + b1", "b = b1",
            "keeps only the second bias, as if the first layer's bias vanished"),
    # step
    Mistake("step-at-zero-is-one", "step", "np.where(x > 0, 1.0, 0.0)",
            "np.where(x >= 0, 1.0, 0.0)", "uses x >= 0, so step(0) = 1"),
    Mistake("step-returns-bool", "step", "return np.where(x > 0, 1.0, 0.0)", "return x > 0",
            "returns a boolean array instead of floats"),
    Mistake("step-in-place", "step", "return np.where(x > 0, 1.0, 0.0)",
            "x[x > 0] = 1.0\n    x[x <= 0] = 0.0\n    return x",
            "overwrites the caller's array"),
    Mistake("step-syntax-error", "step", "return np.where(x > 0, 1.0, 0.0)",
            "return np.where(x > 0, 1.0, 0.0",
            "leaves a parenthesis open: the cell does not compile, and only step's points go"),
    # xor_relu_net
    Mistake("xor-net-no-relu", "xor_relu_net", "h = np.maximum(X @ W + c, 0.0)", "h = X @ W + c",
            "leaves out the nonlinearity"),
    Mistake("xor-net-step-not-relu", "xor_relu_net", "h = np.maximum(X @ W + c, 0.0)",
            "h = np.where(X @ W + c > 0, 1.0, 0.0)",
            "uses step instead of relu: right on the corners, wrong between them"),
    Mistake("xor-net-column-output", "xor_relu_net", "w = np.array([1.0, -2.0])",
            "w = np.array([[1.0], [-2.0]])", "returns shape (n, 1) instead of (n,)"),
]

# The demo's "typical-mistakes" student.
DEMO = ["affine-exact-equality", "lstsq-b-as-array", "step-at-zero-is-one"]
